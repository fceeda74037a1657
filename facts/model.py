"""The fact model: what a case file says about a case, and nothing else.

Every fact is optional. A fact that is absent is *unknown*, never false: the engine reports the
conclusions that hinge on it as undetermined. Types are strict (no ``"15"`` for an age, no ``true``
for a number) and unknown keys are rejected at every level, because a fact silently dropped is a
wrong answer.
"""

from __future__ import annotations

import datetime as _dt
from enum import Enum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

__all__ = [
    "Accused",
    "Compensation",
    "Conduct",
    "Dates",
    "Investigation",
    "Role",
    "Scenario",
    "Victim",
]


class _Facts(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        use_enum_values=False,
        validate_default=True,
    )


class Role(str, Enum):
    """The role in which the accused took part, as the source's sections divide them."""

    TRAFFICKER = "trafficker"
    BUYER = "buyer"
    FACILITATOR = "facilitator"


Age = Annotated[int, Field(ge=0, le=120)]


def _contradiction(message: str, *fields: str) -> PydanticCustomError:
    """A validation error for facts that cannot all be true; ``fields`` are the facts involved,
    relative to the model raising it (the first is where the error is reported)."""
    return PydanticCustomError("contradiction", "{message}", {"message": message, "fields": fields})


def _iso_date(value: object) -> object:
    """Accept a date, or a string in ISO 8601 form (YYYY-MM-DD), and nothing else."""
    if isinstance(value, _dt.datetime):
        raise ValueError("give a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value) if len(value) == 10 else _bad_date(value)
        except ValueError:
            return _bad_date(value)
    return value


def _bad_date(value: str) -> object:
    raise ValueError(f"{value!r} is not a date; write it as YYYY-MM-DD")


Date = Annotated[_dt.date, BeforeValidator(_iso_date)]
Roles = Annotated[tuple[Annotated[Role, Field(strict=False)], ...], Field(strict=False)]


class Victim(_Facts):
    """The child (or the person a decoy posed as) and what happened to them."""

    age: Age | None = Field(
        None,
        description="The victim's age in whole years at the time of the offense. Where a "
        "law-enforcement decoy posed as a minor, the age the decoy posed as.",
    )
    age_at_testimony: Age | None = Field(
        None,
        description="The victim's age in whole years when they testify at trial.",
    )
    engaged_in_commercial_sex: bool | None = Field(
        None,
        description="The victim was used in, or engaged in, a commercial sex act (prostitution): "
        "sex in exchange for anything of value, whoever received it.",
    )
    third_party_control: bool | None = Field(
        None,
        description="A third party (a trafficker, pimp or facilitator, not only the buyer) "
        "controlled, offered or profited from the victim's commercial sex. The source makes this "
        "the line between a child sex trafficking victim and other commercially sexually "
        "exploited children (for example survival sex with no third party).",
    )
    force_fraud_or_coercion: bool | None = Field(
        None,
        description="Force, fraud or coercion was used against the victim. For a minor the source "
        "makes it irrelevant: recorded for the report, it changes no conclusion.",
    )
    willing: bool | None = Field(
        None,
        description="The victim appeared willing to engage in the commercial sex act. The source "
        "bars a defense based on it: recorded for the report, it changes no conclusion.",
    )
    will_testify: bool | None = Field(
        None, description="The victim is expected to testify at trial."
    )
    delinquency_adjudication: bool | None = Field(
        None,
        description="The victim has a juvenile delinquency adjudication related to the "
        "trafficking victimization.",
    )
    reported_missing: bool | None = Field(
        None, description="The child was, or is, missing (run away or taken)."
    )
    deemed_responsible_for_injury: bool | None = Field(
        None,
        description="For crime victims' compensation: the victim is deemed responsible for the "
        "cause of the injury.",
    )
    cooperated_with_law_enforcement: bool | None = Field(
        None,
        description="For crime victims' compensation: the victim cooperated with law enforcement.",
    )


class Conduct(_Facts):
    """What the accused did. Each item is true, false or (absent) unknown."""

    trafficked_for_sex: bool | None = Field(
        None,
        description="Trafficked the victim for sexual purposes: the conduct the human "
        "trafficking law punishes in a trafficker.",
    )
    promoted_prostitution: bool | None = Field(
        None, description="Promoted the prostitution of the victim (\u201cpromoting prostitution\u201d)."
    )
    enticed_for_commercial_sex: bool | None = Field(
        None,
        description="Enticed the victim for commercial sex or prostitution (\u201centicing a child\u201d).",
    )
    caused_sexual_conduct_for_images: bool | None = Field(
        None,
        description="Caused or solicited the victim to engage in sexual conduct for the purpose of "
        "creating images of child sexual exploitation (ICSE).",
    )
    sold_images: bool | None = Field(
        None, description="Sold images of child sexual exploitation (ICSE) of the victim."
    )
    bought_commercial_sex: bool | None = Field(
        None,
        description="Bought, or offered or attempted to buy, a commercial sex act with the "
        "victim (\u201cprocuring the services of a prostitute\u201d; causing or attempting to cause a "
        "commercial sex act).",
    )
    aided_or_abetted_trafficking: bool | None = Field(
        None, description="Aided or abetted the human trafficking of the victim."
    )
    financially_benefited_from_trafficking: bool | None = Field(
        None, description="Financially benefited from the human trafficking of the victim."
    )
    contributed_to_delinquency: bool | None = Field(
        None, description="Contributed to the delinquency of the victim, a minor."
    )
    used_internet: bool | None = Field(
        None,
        description="Used the Internet or a computer to recruit, lure or induce the victim into "
        "a sexual act.",
    )
    sex_tourism: bool | None = Field(
        None,
        description="Travelled, or arranged travel, to buy sex with a minor (sex tourism).",
    )


class Accused(_Facts):
    """The accused person or entity, the role they played and what they did."""

    roles: Roles | None = Field(
        None,
        description="Every role in which the accused took part: trafficker, buyer, facilitator. "
        "A list given is taken as complete; leave it out when the role is unknown.",
    )
    conduct: Conduct = Field(
        default_factory=Conduct, description="What the accused did; each item true, false or unknown."
    )
    is_victims_parent: bool | None = Field(
        None, description="The accused is a parent of the victim."
    )
    claims_mistake_of_age: bool | None = Field(
        None,
        description="The accused claims to have believed the victim was an adult (a mistake-of-age "
        "defense).",
    )
    enterprise: bool | None = Field(
        None,
        description="The accused is, or acted for, an enterprise (a business or other "
        "organisation) involved in the trafficking.",
    )
    street_gang: bool | None = Field(
        None, description="The offense involved a criminal street gang."
    )

    @model_validator(mode="after")
    def _roles_unique(self) -> Accused:
        if self.roles is not None and len(set(self.roles)) != len(self.roles):
            twice = sorted({r.value for r in self.roles if self.roles.count(r) > 1})
            raise _contradiction(
                f"lists {', '.join(repr(r) for r in twice)} more than once; give each role once",
                "roles",
            )
        return self


class Investigation(_Facts):
    """How law enforcement investigated the case."""

    decoy: bool | None = Field(
        None,
        description="A law-enforcement officer posed as the minor (a decoy); no real child was "
        "involved. An officer who only posed as a buyer (for example of images of a real child) "
        "is not a decoy: leave this false.",
    )
    online_operation: bool | None = Field(
        None,
        description="Law enforcement used the Internet in the investigation (for example an "
        "online sting or posing as a minor online).",
    )
    wiretap_sought: bool | None = Field(
        None, description="Investigators want to wiretap (intercept) communications."
    )
    single_party_recording: bool | None = Field(
        None,
        description="A conversation was audio-recorded with the consent of only one party (an "
        "officer or cooperating witness).",
    )


class Dates(_Facts):
    """Dates of the case."""

    offense: Date | None = Field(
        None,
        description="The date of the offense (ISO 8601, YYYY-MM-DD). Used to warn when it falls "
        "outside the period the source describes, and for the compensation filing period.",
    )

    @field_validator("offense")
    @classmethod
    def _not_future(cls, value: _dt.date | None) -> _dt.date | None:
        if value is not None and value > _dt.date.today():
            raise ValueError(f"{value} is in the future; give the date the offense happened")
        return value


class Compensation(_Facts):
    """A claim for crime victims' compensation."""

    claim_filed: Date | None = Field(
        None,
        description="The date the crime victims' compensation claim was or will be filed "
        "(YYYY-MM-DD). With dates.offense it gives the filing delay.",
    )
    good_cause_for_delay: bool | None = Field(
        None,
        description="Good cause can be shown for filing the compensation claim late.",
    )


class Scenario(_Facts):
    """The facts of one case. Every fact is optional: absent means unknown."""

    victim: Victim = Field(default_factory=Victim, description="The victim.")
    accused: Accused = Field(default_factory=Accused, description="The accused.")
    investigation: Investigation = Field(
        default_factory=Investigation, description="The investigation."
    )
    dates: Dates = Field(default_factory=Dates, description="Dates of the case.")
    compensation: Compensation = Field(
        default_factory=Compensation, description="A crime victims' compensation claim."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        v = self.victim
        if v.age is not None and v.age_at_testimony is not None and v.age_at_testimony < v.age:
            raise _contradiction(
                f"victim.age_at_testimony ({v.age_at_testimony}) is less than victim.age "
                f"({v.age}): a victim cannot testify before the offense; correct one of them",
                "victim.age_at_testimony", "victim.age",
            )
        offense, filed = self.dates.offense, self.compensation.claim_filed
        if offense is not None and filed is not None and filed < offense:
            raise _contradiction(
                f"compensation.claim_filed ({filed}) is before dates.offense ({offense}): "
                "a claim cannot be filed before the crime; correct one of them",
                "compensation.claim_filed", "dates.offense",
            )
        return self
