"""The fact model: what a case file says about a case, and nothing else.

Every fact is optional. A fact that is absent is *unknown*, never false: the engine reports the
conclusions that hinge on it as undetermined. Types are strict (no ``"15"`` for an age, no ``true``
for a number), unknown keys are rejected at every level, and every list and number is bounded,
because a fact silently dropped or changed is a wrong answer.

Two shapes describe a case:

* :class:`Scenario`, one victim and one accused (``victim:``, ``accused:``);
* :class:`Case`, several of each (``victims: [...]``, ``accused: [...]``), each person with an
  ``id``; an accused's conduct concerns the victims listed in their ``victims`` (all of them when
  the list is left out).

Each fact carries a plain-language ``question`` (in its JSON Schema, key ``question``) that
interviews, forms and "ask next" lists put to the user.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from enum import Enum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from dmst.facts.clock import today

__all__ = [
    "MAX_ACCUSED",
    "MAX_AGE",
    "MAX_VICTIMS",
    "Accused",
    "AgeBelief",
    "AgeRange",
    "Case",
    "CaseAccused",
    "CaseVictim",
    "Compensation",
    "Conduct",
    "Facts",
    "Dates",
    "Investigation",
    "Offense",
    "Role",
    "Scenario",
    "Victim",
    "VictimOffense",
    "age_bounds",
    "is_case_shape",
    "CONTROLLING_CONDUCT",
]

#: The oldest age a victim can be given (years).
MAX_AGE = 120
#: A case lists at most this many victims and this many accused.
MAX_VICTIMS = 20
MAX_ACCUSED = 50


class _Facts(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        use_enum_values=False,
        validate_default=True,
    )

    @classmethod
    def parse(cls, data: Any) -> Any:
        """Validate ``data`` (a mapping; dotted keys such as ``accused.enterprise`` allowed) into
        this model; raise :class:`~dmst.errors.FactError` naming every bad field, never
        pydantic's ``ValidationError``."""
        from dmst.facts.load import fact_error
        from dmst.facts.paths import expand_dotted

        expanded = expand_dotted(data, "facts.")
        try:
            return cls.model_validate(expanded)
        except ValidationError as exc:
            raise fact_error(exc, expanded) from None


def _fact(description: str, question: str, default: Any = None, *, at_least: str | None = None,
          **kw: Any) -> Any:
    """A fact's field: unknown (``None``) unless given, with its description and question.
    ``at_least``: another fact whose value this one can never be below (an age later in life)."""
    extra: dict[str, Any] = {"question": question}
    if at_least is not None:
        extra["at_least"] = at_least
    return Field(default, description=description, json_schema_extra=extra, **kw)


class Role(str, Enum):
    """The role in which the accused took part, as the source's sections divide them."""

    TRAFFICKER = "trafficker"
    BUYER = "buyer"
    FACILITATOR = "facilitator"


class Offense(str, Enum):
    """The offenses dmst knows, by id (``dmst rules --offenses`` lists them with titles)."""

    HUMAN_TRAFFICKING = "human_trafficking"
    PROMOTING_PROSTITUTION = "promoting_prostitution"
    ENTICING_CHILD = "enticing_child"
    EXPLOITATION_OF_CHILDREN = "exploitation_of_children"
    SELLING_IMAGES = "selling_images"
    COMPUTER_LURING = "computer_luring"
    PROCURING_PROSTITUTE = "procuring_prostitute"
    PROCURING_PROSTITUTE_ADULT = "procuring_prostitute_adult"
    CONTRIBUTING_TO_DELINQUENCY = "contributing_to_delinquency"
    RACKETEERING = "racketeering"
    STREET_GANG = "street_gang"
    ENTERPRISE_HUMAN_TRAFFICKING = "enterprise_human_trafficking"
    ADULT_TRAFFICKING = "adult_trafficking"


class VictimOffense(str, Enum):
    """Kinds of offense a victim may be arrested for or charged with."""

    PROSTITUTION = "prostitution"
    DRUG_OFFENSE = "drug_offense"
    THEFT = "theft"
    STATUS_OFFENSE = "status_offense"
    WEAPONS_OFFENSE = "weapons_offense"
    VIOLENT_OFFENSE = "violent_offense"
    OTHER_OFFENSE = "other_offense"


class AgeBelief(str, Enum):
    """What the accused believed about the victim's age."""

    MINOR = "minor"
    ADULT = "adult"


def _contradiction(message: str, *fields: str) -> PydanticCustomError:
    """A validation error for facts that cannot all be true; ``fields`` are the facts involved,
    relative to the model raising it (the first is where the error is reported)."""
    return PydanticCustomError("contradiction", "{message}", {"message": message, "fields": fields})


def _iso_date(value: object) -> object:
    """Accept a date, or a string in ISO 8601 calendar form (YYYY-MM-DD), and nothing else."""
    if isinstance(value, _dt.datetime):
        raise ValueError("give a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, str):
        if len(value) != 10 or value[4] != "-" or value[7] != "-":
            return _bad_date(value)
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            return _bad_date(value)
    return value


def _bad_date(value: str) -> object:
    raise ValueError(f"{value!r} is not a date; write it as YYYY-MM-DD")


def _unique(values: tuple[Any, ...] | None, what: str) -> None:
    if values is None:
        return
    seen: set[Any] = set()
    twice: list[str] = []
    for v in values:
        if v in seen:
            twice.append(str(getattr(v, "value", v)))
        seen.add(v)
    if twice:
        raise _contradiction(
            f"lists {', '.join(repr(t) for t in sorted(set(twice)))} more than once; give each "
            f"{what} once"
        )


Date = Annotated[_dt.date, BeforeValidator(_iso_date)]
Years = Annotated[int, Field(ge=0, le=MAX_AGE)]
PartyId = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


def _at_least_one_item(schema: dict[str, Any]) -> None:
    """JSON Schema: the list, where one is given, holds at least one item (an empty one is
    refused with a message of its own)."""
    for branch in schema.get("anyOf", [schema]):
        if branch.get("type") == "array":
            branch["minItems"] = 1


def _enum_list(item: type[Enum], max_items: int) -> Any:
    return Annotated[
        tuple[Annotated[item, Field(strict=False)], ...],  # type: ignore[valid-type]
        Field(strict=False, max_length=max_items),
    ]


Roles = _enum_list(Role, len(Role))
Offenses = _enum_list(Offense, len(Offense))
VictimOffenses = _enum_list(VictimOffense, len(VictimOffense))


class AgeRange(_Facts):
    """An age known only as a range, in whole years: ``{min: 15, max: 16}`` is "15 or 16",
    ``{max: 17}`` is "a minor". Either bound may be left out; both are inclusive."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    min: Years | None = Field(None, description="The youngest the person can be (years).")
    max: Years | None = Field(None, description="The oldest the person can be (years).")

    @model_validator(mode="after")
    def _ordered(self) -> AgeRange:
        if self.min is None and self.max is None:
            raise _contradiction("give min, max or both (an unknown age is left out entirely)",
                                 "min")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise _contradiction(f"min ({self.min}) is greater than max ({self.max})", "min")
        return self

    @property
    def lowest(self) -> int:
        """The lowest age in the range (years)."""
        return self.min if self.min is not None else 0

    @property
    def highest(self) -> int:
        """The highest age in the range (years)."""
        return self.max if self.max is not None else MAX_AGE


def _age_shape(value: Any) -> str:
    return "range" if isinstance(value, (Mapping, AgeRange)) else "years"


#: An age: whole years, or a range of them.
Age = Annotated[
    Annotated[Years, Tag("years")] | Annotated[AgeRange, Tag("range")],
    Discriminator(_age_shape),
]


def age_bounds(age: int | AgeRange | None) -> tuple[int, int] | None:
    """The lowest and highest possible age (years), or None when the age is unknown."""
    if age is None:
        return None
    if isinstance(age, AgeRange):
        return age.lowest, age.highest
    return age, age


class Victim(_Facts):
    """The child (or the person a decoy posed as) and what happened to them."""

    age: Age | None = _fact(
        "The victim's age in whole years at the time of the offense, or a range when it is known "
        "only roughly ({min: 15, max: 16}; {max: 17} for \"a minor\"). Where a law-enforcement "
        "decoy posed as a minor, the age the decoy posed as.",
        "How old was the victim at the time of the offense (a number, or a range such as 15 to "
        "16)?",
    )
    age_at_testimony: Age | None = _fact(
        "The victim's age in whole years when they testify at trial, or a range. Never less than "
        "the age at the offense; when left out, dmst uses the age at the offense as its lower "
        "bound.",
        "How old will the victim be when testifying at trial?",
        at_least="victim.age",
    )
    engaged_in_commercial_sex: bool | None = _fact(
        "The victim was used in, or engaged in, a commercial sex act (prostitution): sex in "
        "exchange for anything of value, whoever received it.",
        "Was the victim used in a commercial sex act (sex in exchange for anything of value)?",
    )
    third_party_control: bool | None = _fact(
        "A third party (a trafficker, pimp or facilitator, not only the buyer) controlled the "
        "victim's commercial sex. Offering the victim to buyers or profiting from the sex are "
        "evidence of control, not the test. The source makes control the line between a child sex "
        "trafficking victim and other commercially sexually exploited children (for example "
        "survival sex with no third party).",
        "Did a third party (a trafficker or pimp, not only the buyer) control the victim's "
        "commercial sex?",
    )
    force_fraud_or_coercion: bool | None = _fact(
        "Force, fraud or coercion was used against the victim. For a minor the source makes it "
        "irrelevant: recorded for the report, it changes no conclusion.",
        "Was force, fraud or coercion used against the victim?",
    )
    willing: bool | None = _fact(
        "The victim appeared willing to engage in the commercial sex act. The source bars a "
        "defense based on it: recorded for the report, it changes no conclusion.",
        "Did the victim appear willing?",
    )
    will_testify: bool | None = _fact(
        "The victim is expected to testify at trial.",
        "Is the victim expected to testify at trial?",
    )
    delinquency_adjudication: bool | None = _fact(
        "The victim has a juvenile delinquency adjudication related to the trafficking "
        "victimization.",
        "Does the victim have a juvenile delinquency adjudication related to the trafficking?",
    )
    charged_with: VictimOffenses | None = _fact(
        "Offenses the victim was arrested for or charged with (prostitution, drug_offense, "
        "theft, status_offense, weapons_offense, violent_offense, other_offense). A list given "
        "is taken as complete; an empty list means none.",
        "Was the victim arrested for or charged with an offense, and which?",
    )
    racketeering_victim: bool | None = _fact(
        "The victim is also a victim of racketeering (a pattern of offenses by an enterprise).",
        "Is the victim also a victim of racketeering?",
    )
    reported_missing: bool | None = _fact(
        "The child was, or is, missing (run away or taken).",
        "Was the child missing (run away or taken)?",
    )
    deemed_responsible_for_injury: bool | None = _fact(
        "For crime victims' compensation: the victim is deemed responsible for the cause of the "
        "injury.",
        "Is the victim deemed responsible for the cause of the injury (for compensation)?",
    )
    cooperated_with_law_enforcement: bool | None = _fact(
        "For crime victims' compensation: the victim cooperated with law enforcement.",
        "Did the victim cooperate with law enforcement (for compensation)?",
    )

    @field_validator("charged_with")
    @classmethod
    def _charges_unique(cls, value: tuple[VictimOffense, ...] | None) -> Any:
        _unique(value, "offense")
        return value


class Conduct(_Facts):
    """What the accused did. Each item is true, false or (absent) unknown."""

    trafficked_for_sex: bool | None = _fact(
        "Trafficked the victim for sexual purposes (recruited, harboured, transported, provided "
        "or obtained the victim for commercial sex): the conduct the human trafficking law "
        "punishes.",
        "Did the accused traffic the victim for sex (recruit, harbour, transport, provide or "
        "obtain the victim for commercial sex)?",
    )
    promoted_prostitution: bool | None = _fact(
        "Promoted the prostitution of the victim (\u201cpromoting prostitution\u201d).",
        "Did the accused promote the victim's prostitution?",
    )
    enticed_for_commercial_sex: bool | None = _fact(
        "Enticed the victim for commercial sex or prostitution (\u201centicing a child\u201d).",
        "Did the accused entice the victim for commercial sex?",
    )
    caused_sexual_conduct_for_images: bool | None = _fact(
        "Caused the victim to engage in sexual conduct for the purpose of creating images of "
        "child sexual exploitation (ICSE).",
        "Did the accused cause the victim to engage in sexual conduct to make images or video?",
    )
    solicited_sexual_conduct_for_images: bool | None = _fact(
        "Solicited (asked, offered to pay, pressed) the victim to engage in sexual conduct for "
        "the purpose of creating images of child sexual exploitation, whether or not any image "
        "was made.",
        "Did the accused ask or press the victim to make sexual images or video, even if none "
        "were made?",
    )
    sold_images: bool | None = _fact(
        "Sold images of child sexual exploitation (ICSE) of the victim.",
        "Did the accused sell sexual images of the victim?",
    )
    bought_commercial_sex: bool | None = _fact(
        "Bought a commercial sex act with the victim (\u201cprocuring the services of a "
        "prostitute\u201d; causing a commercial sex act).",
        "Did the accused buy a commercial sex act with the victim?",
    )
    attempted_to_buy_commercial_sex: bool | None = _fact(
        "Tried to buy a commercial sex act with the victim but no act took place: offered, sent "
        "payment, or arrived at the meeting (for example a sting).",
        "Did the accused try to buy sex with the victim (offer, pay or arrive) without the act "
        "taking place?",
    )
    aided_or_abetted_trafficking: bool | None = _fact(
        "Aided or abetted the human trafficking of the victim.",
        "Did the accused aid or abet the trafficking of the victim?",
    )
    financially_benefited_from_trafficking: bool | None = _fact(
        "Financially benefited from the human trafficking of the victim.",
        "Did the accused benefit financially from the trafficking of the victim?",
    )
    contributed_to_delinquency: bool | None = _fact(
        "Contributed to the delinquency of the victim, a minor.",
        "Did the accused contribute to the delinquency of the victim?",
    )
    used_internet: bool | None = _fact(
        "Used the Internet or a computer to lure, recruit or induce the victim into a sexual act "
        "(communicating with the victim). Advertising the victim to buyers is "
        "advertised_victim_online.",
        "Did the accused use the Internet or a computer to lure or recruit the victim?",
    )
    advertised_victim_online: bool | None = _fact(
        "Advertised the victim to buyers online (for example posting ads on a website).",
        "Did the accused advertise the victim to buyers online?",
    )
    sex_tourism: bool | None = _fact(
        "Travelled, or arranged travel, to buy sex with a minor (sex tourism).",
        "Did the accused travel, or arrange travel, to buy sex with a minor?",
    )


class Accused(_Facts):
    """The accused person or entity, the role they played and what they did."""

    roles: Roles | None = _fact(
        "Every role in which the accused took part: trafficker, buyer, facilitator. A list given "
        "is taken as complete; leave it out when the role is unknown.",
        "In which role did the accused take part: trafficker, buyer, facilitator?",
    )
    conduct: Conduct = Field(
        default_factory=Conduct, description="What the accused did; each item true, false or unknown."
    )
    is_victims_parent: bool | None = _fact(
        "The accused is a parent of the victim.",
        "Is the accused a parent of the victim?",
    )
    is_parent: bool | None = _fact(
        "The accused is a parent of a child (the victim or another child).",
        "Is the accused a parent of any child?",
    )
    claims_mistake_of_age: bool | None = _fact(
        "The accused claims to have believed the victim was an adult (a mistake-of-age defense).",
        "Does the accused claim to have believed the victim was an adult?",
    )
    believed_victim_was: AgeBelief | None = _fact(
        "What the accused believed about the victim's age: minor or adult.",
        "Did the accused believe the victim was a minor or an adult?",
        strict=False,
    )
    enterprise: bool | None = _fact(
        "The accused is, or acted for, an enterprise (a business or other organisation) involved "
        "in the trafficking.",
        "Is the accused (or did they act for) a business or organisation involved in the "
        "trafficking?",
    )
    street_gang: bool | None = _fact(
        "The offense involved a criminal street gang.",
        "Did the offense involve a criminal street gang?",
    )
    charged_with: Offenses | None = _fact(
        "Offenses the accused has been charged with, by offense id (dmst rules --offenses). "
        "Reported beside what the facts support; changes no conclusion.",
        "Which offenses has the accused been charged with?",
    )
    convicted_of: Offenses | None = _fact(
        "Offenses the accused has been convicted of, by offense id (dmst rules --offenses). A list "
        "given is taken as complete (an empty list: no conviction yet). Consequences the source "
        "ties to a conviction follow it; when it is left out, they are stated as attaching on "
        "conviction.",
        "Of which offenses has the accused been convicted (none yet is an answer)?",
    )

    @field_validator("roles", "charged_with", "convicted_of")
    @classmethod
    def _lists_unique(cls, value: tuple[Any, ...] | None) -> Any:
        _unique(value, "item")
        return value


class Investigation(_Facts):
    """How law enforcement investigated the case."""

    decoy: bool | None = _fact(
        "A law-enforcement officer posed as the minor (a decoy); no real child was involved. An "
        "officer who only posed as a buyer (for example of images of a real child) is not a "
        "decoy: leave this false. When a case is silent, dmst presumes a real child (and says so) "
        "unless strict mode is on.",
        "Was the \u201cminor\u201d a law-enforcement officer posing as one (a decoy)?",
    )
    online_operation: bool | None = _fact(
        "Law enforcement used the Internet in the investigation (for example an online sting or "
        "posing as a minor online).",
        "Did investigators use the Internet (an online sting, posing online)?",
    )
    wiretap_sought: bool | None = _fact(
        "Investigators want to wiretap (intercept) communications.",
        "Do investigators want to wiretap communications?",
    )
    single_party_recording: bool | None = _fact(
        "A conversation was audio-recorded with the consent of only one party (an officer or "
        "cooperating witness).",
        "Was a conversation recorded with only one party's consent?",
    )


class Dates(_Facts):
    """Dates of the case."""

    offense: Date | None = _fact(
        "The date of the offense (ISO 8601, YYYY-MM-DD). Used to warn when it falls outside the "
        "period the source describes, and for the compensation filing period.",
        "On what date did the offense happen (YYYY-MM-DD)?",
    )

    @field_validator("offense")
    @classmethod
    def _not_future(cls, value: _dt.date | None) -> _dt.date | None:
        if value is not None and value > today():
            raise ValueError(f"{value} is in the future; give the date the offense happened")
        return value


class Compensation(_Facts):
    """A claim for crime victims' compensation."""

    claim_filed: Date | None = _fact(
        "The date the crime victims' compensation claim was or will be filed (YYYY-MM-DD). With "
        "dates.offense it gives the filing delay.",
        "On what date was the compensation claim filed, or will it be (YYYY-MM-DD)?",
    )
    good_cause_for_delay: bool | None = _fact(
        "Good cause can be shown for filing the compensation claim late.",
        "Can good cause be shown for filing the compensation claim late?",
    )


def _check_pair(victim: Victim, dates: Dates, compensation: Compensation,
                victim_at: str = "victim", compensation_at: str = "compensation") -> None:
    """Facts of one victim that cannot all be true, named where they are given (``victim`` in a
    scenario, ``victims.0`` in a case)."""
    at_offense, at_trial = age_bounds(victim.age), age_bounds(victim.age_at_testimony)
    if at_offense is not None and at_trial is not None and at_trial[1] < at_offense[0]:
        raise _contradiction(
            f"{victim_at}.age_at_testimony ({_age_text(victim.age_at_testimony)}) is less than "
            f"{victim_at}.age ({_age_text(victim.age)}): a victim cannot testify before the "
            "offense; correct one of them",
            f"{victim_at}.age_at_testimony", f"{victim_at}.age",
        )
    offense, filed = dates.offense, compensation.claim_filed
    if offense is not None and filed is not None and filed < offense:
        raise _contradiction(
            f"{compensation_at}.claim_filed ({filed}) is before dates.offense ({offense}): a "
            "claim cannot be filed before the crime; correct one of them",
            f"{compensation_at}.claim_filed", "dates.offense",
        )


#: Conduct toward a child that means a trafficker, a third party, controls her: trafficking her,
#: aiding or profiting from her trafficking (the trafficking then exists), and a trafficker's
#: promoting her prostitution (the trafficker is the third party).
CONTROLLING_CONDUCT = ("trafficked_for_sex", "aided_or_abetted_trafficking",
                       "financially_benefited_from_trafficking")


def _check_control(victim: Victim, accused: Accused, victim_at: str = "victim",
                   accused_at: str = "accused") -> None:
    """Whoever traffics a child controls her: "no third party's control" cannot stand beside
    "the accused trafficked her" (or aided or profited from her trafficking, or, as a trafficker,
    promoted her prostitution)."""
    if victim.third_party_control is not False:
        return
    done = [name for name in CONTROLLING_CONDUCT if getattr(accused.conduct, name) is True]
    if not done and accused.conduct.promoted_prostitution is True and accused.roles is not None \
            and Role.TRAFFICKER in accused.roles:
        done = ["promoted_prostitution"]
    if done:
        raise _contradiction(
            f"{victim_at}.third_party_control is false, but {accused_at}.conduct.{done[0]} is "
            "true: whoever traffics a child (or aids or profits from her trafficking, or promotes "
            "her prostitution as her trafficker) is a third party who controls her, or works with "
            "one; correct one of them",
            f"{victim_at}.third_party_control", f"{accused_at}.conduct.{done[0]}",
        )


def _age_text(age: int | AgeRange | None) -> str:
    if isinstance(age, AgeRange):
        lo = "" if age.min is None else str(age.min)
        hi = "" if age.max is None else str(age.max)
        if not lo:
            return f"at most {hi}"
        if not hi:
            return f"at least {lo}"
        return f"{lo}\u2013{hi}"
    return str(age)


class Scenario(_Facts):
    """The facts of one victim and one accused. Every fact is optional: absent means unknown."""

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
        _check_pair(self.victim, self.dates, self.compensation)
        _check_control(self.victim, self.accused)
        return self


class CaseVictim(Victim):
    """A victim of a case with several people: the victim's facts, an id and their own
    compensation claim."""

    id: PartyId = Field(description="The victim's id in this case (V1, minor-1, ...).")
    compensation: Compensation = Field(
        default_factory=Compensation, description="This victim's crime victims' compensation claim."
    )


class CaseAccused(Accused):
    """An accused of a case with several people: the accused's facts, an id, and the victims
    their conduct concerns."""

    id: PartyId = Field(description="The accused's id in this case (A1, buyer-2, ...).")
    victims: tuple[PartyId, ...] | None = Field(
        None, max_length=MAX_VICTIMS, strict=False, json_schema_extra=_at_least_one_item,
        description="The ids of the victims this accused's conduct concerns (default: all).",
    )

    @field_validator("victims")
    @classmethod
    def _victims_unique(cls, value: tuple[str, ...] | None) -> Any:
        if value is not None and not value:
            raise ValueError("lists no victim; leave 'victims' out to mean every victim")
        _unique(value, "victim")
        return value


class Case(_Facts):
    """The facts of a case with several victims and several accused. Each accused's conduct
    concerns the victims they list (default: all); the investigation and dates are the case's."""

    victims: tuple[CaseVictim, ...] = Field(
        max_length=MAX_VICTIMS, strict=False, json_schema_extra={"minItems": 1},
        description="The victims, each with an id.",
    )
    accused: tuple[CaseAccused, ...] = Field(
        default=(), max_length=MAX_ACCUSED, strict=False,
        description="The accused, each with an id.",
    )
    investigation: Investigation = Field(
        default_factory=Investigation, description="The investigation."
    )
    dates: Dates = Field(default_factory=Dates, description="Dates of the case.")

    @field_validator("victims")
    @classmethod
    def _some_victim(cls, value: tuple[CaseVictim, ...]) -> tuple[CaseVictim, ...]:
        if not value:
            raise ValueError("lists no victim; a case needs at least one")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Case:
        ids: dict[str, str] = {}
        for group, people in (("victims", self.victims), ("accused", self.accused)):
            for i, person in enumerate(people):
                if person.id in ids:
                    raise _contradiction(
                        f"id '{person.id}' is used twice ({ids[person.id]} and {group}.{i}); give "
                        "every person their own id", f"{group}.{i}.id",
                    )
                ids[person.id] = f"{group}.{i}"
        victim_ids = [v.id for v in self.victims]
        for i, a in enumerate(self.accused):
            for j, vid in enumerate(a.victims or ()):
                if vid not in victim_ids:
                    import difflib

                    close = difflib.get_close_matches(vid, victim_ids, n=1)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    raise _contradiction(
                        f"names victim '{vid}', who is not among the case's victims "
                        f"({', '.join(victim_ids)}){hint}", f"accused.{i}.victims.{j}",
                    )
        index = {v.id: j for j, v in enumerate(self.victims)}
        for i, a in enumerate(self.accused):
            for vid in a.victims if a.victims is not None else tuple(index):
                _check_control(self.victims[index[vid]], a, f"victims.{index[vid]}",
                               f"accused.{i}")
        for i, v in enumerate(self.victims):
            _check_pair(v, self.dates, v.compensation, f"victims.{i}", f"victims.{i}.compensation")
        return self

    def pairs(self) -> list[tuple[str | None, str, Scenario]]:
        """Every accused–victim pair the case describes, as (accused id, victim id, scenario), in
        the order of the accused and then of the victims. A victim whom no accused's conduct
        concerns gets one pair with an unknown accused (id ``None``)."""
        out: list[tuple[str | None, str, Scenario]] = []
        concerned: set[str] = set()
        victims = {v.id: v for v in self.victims}
        for a in self.accused:
            accused = Accused.model_construct(**{
                k: getattr(a, k) for k in Accused.model_fields
            })
            for vid in (a.victims if a.victims is not None else tuple(victims)):
                concerned.add(vid)
                out.append((a.id, vid, self._scenario(victims[vid], accused)))
        for vid, v in victims.items():
            if vid not in concerned:
                out.append((None, vid, self._scenario(v, Accused())))
        return out

    def _scenario(self, v: CaseVictim, accused: Accused) -> Scenario:
        victim = Victim.model_construct(**{k: getattr(v, k) for k in Victim.model_fields})
        return Scenario.model_construct(
            victim=victim, accused=accused, investigation=self.investigation, dates=self.dates,
            compensation=v.compensation,
        )


def is_case_shape(data: Any) -> bool:
    """Whether a facts mapping has the shape of a :class:`Case` (``victims:`` or a list of
    accused) rather than of a :class:`Scenario`."""
    return isinstance(data, Mapping) and (
        "victims" in data or isinstance(data.get("accused"), (list, tuple))
    )


def _shape(data: Any) -> str:
    if isinstance(data, (Scenario, Case)):
        return "case" if isinstance(data, Case) else "scenario"
    return "case" if is_case_shape(data) else "scenario"


#: The facts of a scenario file: one victim and one accused, or a case of several.
Facts = Annotated[
    Annotated[Scenario, Tag("scenario")] | Annotated[Case, Tag("case")],
    Discriminator(_shape),
]
