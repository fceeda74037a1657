// The dmst page: a form made from the case file's JSON Schema, and the result drawn from the
// JSON the API returns. Nothing here decides the law: every conclusion, explanation, why-not and
// what-if comes from the API. Fields the page does not know are shown plainly, never dropped.
"use strict";

(function () {
  // ---------------------------------------------------------------------------------------
  // small helpers

  const $ = (id) => document.getElementById(id);

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  const idOf = (path) => "f-" + path.replace(/[^A-Za-z0-9_]/g, "-");
  const sentence = (s) => (s ? s.charAt(0).toUpperCase() + s.slice(1) : s);
  const words = (s) => String(s).replace(/_/g, " ");

  function humanTitle(schemaTitle, key) {
    const base = schemaTitle || words(key);
    return sentence(base.toLowerCase());
  }

  // Append what is there: a part of a page left out is null.
  function put(el, ...parts) {
    for (const p of parts.flat(Infinity)) {
      if (p !== null && p !== undefined && p !== false) el.append(p);
    }
  }

  function show(el, on) {
    el.hidden = !on;
  }

  function say(message) {
    const status = $("status");
    status.textContent = "";
    // a fresh text node, so that screen readers announce a repeated message too
    window.setTimeout(() => { status.textContent = message; }, 30);
  }

  function formatValue(v) {
    if (v === null || v === undefined) return "unknown";
    if (v === true) return "yes";
    if (v === false) return "no";
    if (Array.isArray(v)) return v.length ? v.map(words).join(", ") : "none";
    if (typeof v === "object" && ("min" in v || "max" in v) && Object.keys(v).every((k) => k === "min" || k === "max")) {
      // an age known as a range, as the library writes it
      if (v.min != null && v.max != null) return v.min + "–" + v.max;
      return v.max != null ? "at most " + v.max : "at least " + v.min;
    }
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  }

  // ---------------------------------------------------------------------------------------
  // the API

  let token = null;

  class ApiError extends Error {
    constructor(status, error) {
      super(error && error.message ? error.message : "request failed (" + status + ")");
      this.status = status;
      this.error = error || {};
    }
  }

  async function api(path, options) {
    const opts = options || {};
    const headers = Object.assign({}, opts.headers || {});
    let body = opts.body;
    if (body !== undefined && typeof body !== "string" && !(body instanceof Blob)) {
      body = JSON.stringify(body);
      headers["Content-Type"] = "application/json";
    }
    if (token) headers.Authorization = "Bearer " + token;
    let response;
    try {
      response = await fetch(path, { method: opts.method || (body === undefined ? "GET" : "POST"), headers, body });
    } catch (e) {
      throw new ApiError(0, { message: "the server cannot be reached; check that dmst serve is running" });
    }
    if (response.status === 401) {
      await askForToken();
      return api(path, options);
    }
    const type = response.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await response.json().catch(() => null) : await response.text();
    if (!response.ok) throw new ApiError(response.status, data && data.error);
    return data;
  }

  let tokenAsked = null; // one question for every request that met a 401 meanwhile

  function askForToken() {
    if (!tokenAsked) tokenAsked = new Promise((resolve) => {
      const box = $("token-box");
      show(box, true);
      $("token-input").focus();
      $("token-form").onsubmit = (event) => {
        event.preventDefault();
        token = $("token-input").value.trim();
        $("token-input").value = "";
        show(box, false);
        tokenAsked = null;
        resolve();
      };
    });
    return tokenAsked;
  }

  // ---------------------------------------------------------------------------------------
  // the form, from the JSON Schema

  let rootSchema = null;
  let form = null; // the root node
  const leaves = new Map(); // "facts.victim.age" -> leaf node
  const SKIPPED = new Set(["expected"]); // a case file's expectations are for examples and tests

  function resolve(schema) {
    let s = schema || {};
    let nullable = false;
    for (;;) {
      if (s.$ref) {
        const name = s.$ref.split("/").pop();
        const extra = Object.assign({}, s);
        delete extra.$ref;
        s = Object.assign({}, (rootSchema.$defs || {})[name] || {}, extra);
        continue;
      }
      const alts = s.anyOf || s.oneOf;
      if (alts) {
        const rest = alts.filter((a) => a.type !== "null");
        if (rest.length < alts.length) nullable = true;
        if (rest.length === 1) {
          const outer = Object.assign({}, s);
          delete outer.anyOf;
          delete outer.oneOf;
          s = Object.assign({}, rest[0], outer);
          continue;
        }
      }
      break;
    }
    return Object.assign({}, s, { nullable });
  }

  function kindOf(s) {
    if (s.type === "object" && s.properties) return "object";
    if (s.type === "boolean") return "bool";
    if (s.type === "integer" || s.type === "number") return "number";
    if (s.type === "string" && s.format === "date") return "date";
    if (s.type === "string" && s.enum) return "enum";
    if (s.type === "string") return "string";
    if (s.type === "array") {
      const item = resolve(s.items);
      if (item.enum && item.type === "string") return "choices";
      if (item.type === "object" && item.properties) return "list";
    }
    return "json";
  }

  // The alternatives of a schema that offers several (oneOf/anyOf), each resolved; null left out.
  function alternatives(s) {
    return (s.oneOf || s.anyOf || []).map(resolve).filter((a) => a.type !== "null");
  }

  // An age: whole years, or a range of them ({min, max}).
  function isAgeChoice(alts) {
    return alts.length === 2 && alts.some((a) => a.type === "integer") &&
      alts.some((a) => a.type === "object" && a.properties && a.properties.min && a.properties.max);
  }

  function build(schema, key, path, depth) {
    let s = resolve(schema);
    let kind = kindOf(s);
    const alts = alternatives(s);
    if (alts.length > 1 && isAgeChoice(alts)) {
      kind = "age";
    } else if (alts.length > 1 && alts.every((a) => a.type === "object" && a.properties)) {
      // shapes of the same thing (the facts: one victim and one accused, or a case of several
      // people): the form is made from the first; the others are written as a case file
      s = Object.assign({}, alts[0], { title: s.title, description: s.description });
      kind = "object";
    }
    const label = humanTitle(s.title, key);
    const node = { kind, key, path, label, description: s.description || "", schema: s };
    const hintId = idOf(path) + "-hint";
    const hint = node.description ? h("p", { class: "hint", id: hintId }, node.description) : null;
    const pathTag = path.startsWith("facts.") ? h("code", { class: "path" }, path.slice(6)) : null;
    const described = hint ? hintId : null;

    if (kind === "object") {
      node.children = [];
      for (const [name, sub] of Object.entries(s.properties)) {
        if (depth === 0 && SKIPPED.has(name)) continue;
        node.children.push(build(sub, name, path ? path + "." + name : name, depth + 1));
      }
      const legendText = depth === 0 ? null : depth === 1 && key === "facts" ? null : label;
      if (!legendText && depth === 0) {
        // the case file's own text fields (title, narrative) apart from its facts
        const plain = node.children.filter((c) => c.kind !== "object");
        const groups = node.children.filter((c) => c.kind === "object");
        node.el = h("div", { class: "group-root" },
          plain.length
            ? h("details", { class: "group" },
              h("summary", {}, h("span", { class: "group-title" }, "About the case"),
                h("span", { class: "group-desc" }, " — optional, for your own records and the brief")),
              h("div", { class: "group-body", role: "group", "aria-label": "About the case" }, plain.map((c) => c.el)))
            : null,
          groups.map((c) => c.el));
      } else if (!legendText) {
        node.el = h("div", { class: "group-root" }, node.children.map((c) => c.el));
      } else {
        node.el = h("details", { class: "group", open: true },
          h("summary", {}, h("span", { class: "group-title" }, legendText),
            node.description && !/^the \w+\.$/i.test(node.description.trim())
              ? h("span", { class: "group-desc" }, " — " + node.description) : null),
          h("div", { class: "group-body", role: "group", "aria-label": legendText },
            node.children.map((c) => c.el)));
      }
      node.get = () => {
        const out = {};
        for (const c of node.children) {
          const v = c.get();
          if (v !== undefined) out[c.key] = v;
        }
        return Object.keys(out).length || depth <= 1 ? out : undefined;
      };
      node.set = (value) => {
        for (const c of node.children) c.set(value ? value[c.key] : undefined);
      };
      return node;
    }

    if (kind === "bool") {
      const name = idOf(path);
      const options = [["true", "Yes"], ["false", "No"], ["", "Unknown"]];
      const inputs = options.map(([v]) => h("input", {
        type: "radio", name, id: name + "-" + (v || "unknown"), value: v,
        "aria-describedby": described, checked: v === "",
      }));
      node.el = h("fieldset", { class: "fact bool", id: name, "data-path": path },
        h("legend", {}, label, " ", pathTag),
        hint,
        h("div", { class: "choices" }, options.map(([v, text], i) =>
          h("span", { class: "choice" }, inputs[i], h("label", { for: inputs[i].id }, text)))));
      node.get = () => {
        const on = inputs.find((i) => i.checked);
        return on && on.value ? on.value === "true" : undefined;
      };
      node.set = (value) => {
        const v = value === true ? "true" : value === false ? "false" : "";
        for (const i of inputs) i.checked = i.value === v;
      };
      node.focus = () => (inputs.find((i) => i.checked) || inputs[0]).focus();
      node.inputs = inputs;
      leaves.set(path, node);
      return node;
    }

    if (kind === "age") {
      // whole years, or a range when the age is known only roughly; one or the other
      const id = idOf(path);
      const years = alts.find((a) => a.type === "integer");
      const box = (boxId, cls) => h("input", {
        id: boxId, type: "number", inputmode: "numeric", step: 1, class: cls,
        min: years.minimum, max: years.maximum, "aria-describedby": described,
      });
      const exact = box(id, "age-exact");
      const low = box(id + "-min", "age-bound");
      const high = box(id + "-max", "age-bound");
      const unknown = h("input", { type: "checkbox", id: id + "-unknown", checked: true });
      const bounds = [low, high];
      const sync = () => { unknown.checked = [exact, low, high].every((i) => i.value === ""); };
      exact.addEventListener("input", () => {
        if (exact.value !== "") for (const b of bounds) b.value = "";
        sync();
      });
      for (const b of bounds) b.addEventListener("input", () => {
        if (b.value !== "") exact.value = "";
        sync();
      });
      unknown.addEventListener("change", () => {
        if (unknown.checked) for (const i of [exact, low, high]) i.value = "";
        sync();
      });
      node.el = h("fieldset", { class: "fact age", "data-path": path },
        h("legend", {}, label, " ", pathTag),
        hint,
        h("div", { class: "entry" },
          h("span", { class: "age-part" }, h("label", { for: exact.id }, "Exact age"), exact),
          h("span", { class: "age-part" }, h("span", { class: "or" }, "or a range:"),
            h("label", { for: low.id }, "youngest"), low,
            h("label", { for: high.id }, "oldest"), high),
          h("span", { class: "choice" }, unknown, h("label", { for: unknown.id }, "Unknown"))));
      const num = (i) => {
        const raw = i.value.trim();
        if (raw === "") return undefined;
        const n = Number(raw);
        return Number.isFinite(n) ? n : raw; // the server names what is wrong with text
      };
      node.get = () => {
        const v = num(exact);
        if (v !== undefined) return v;
        const range = {};
        if (num(low) !== undefined) range.min = num(low);
        if (num(high) !== undefined) range.max = num(high);
        return Object.keys(range).length ? range : undefined;
      };
      node.set = (value) => {
        const range = value && typeof value === "object";
        exact.value = value === undefined || value === null || range ? "" : String(value);
        low.value = range && value.min != null ? String(value.min) : "";
        high.value = range && value.max != null ? String(value.max) : "";
        sync();
      };
      node.focus = () => exact.focus();
      node.input = exact;
      node.inputFor = (field) => (/\.min$/.test(field) ? low : /\.max$/.test(field) ? high : exact);
      leaves.set(path, node);
      return node;
    }

    if (kind === "number" || kind === "date" || kind === "string" || kind === "enum") {
      const id = idOf(path);
      let input;
      if (kind === "enum") {
        input = h("select", { id, "aria-describedby": described },
          h("option", { value: "" }, "Unknown"),
          s.enum.map((v) => h("option", { value: v }, sentence(words(v)))));
      } else if (kind === "string" && key === "narrative") {
        input = h("textarea", { id, rows: 3, "aria-describedby": described });
      } else {
        input = h("input", {
          id, "aria-describedby": described,
          type: kind === "number" ? "number" : kind === "date" ? "date" : "text",
          inputmode: kind === "number" ? "numeric" : null,
          min: s.minimum, max: s.maximum, step: s.type === "integer" ? 1 : null,
        });
      }
      let unknown = null;
      if (kind === "number" || kind === "date") {
        unknown = h("input", { type: "checkbox", id: id + "-unknown", checked: true });
        unknown.addEventListener("change", () => {
          if (unknown.checked) input.value = "";
        });
        input.addEventListener("input", () => {
          unknown.checked = input.value === "";
        });
      }
      node.el = h("div", { class: "fact " + kind, "data-path": path },
        h("label", { for: id, class: "fact-label" }, label, " ", pathTag),
        hint,
        h("div", { class: "entry" }, input,
          unknown ? h("span", { class: "choice" }, unknown, h("label", { for: unknown.id }, "Unknown")) : null));
      node.get = () => {
        const raw = input.value.trim();
        if (raw === "") return undefined;
        if (kind === "number") {
          const n = Number(raw);
          return Number.isFinite(n) ? n : raw; // the server names what is wrong with text
        }
        return raw;
      };
      node.set = (value) => {
        input.value = value === undefined || value === null ? "" : String(value);
        if (unknown) unknown.checked = input.value === "";
      };
      node.focus = () => input.focus();
      node.input = input;
      leaves.set(path, node);
      return node;
    }

    if (kind === "choices") {
      const item = resolve(s.items);
      const name = idOf(path);
      const boxes = item.enum.map((v) => h("input", { type: "checkbox", id: name + "-" + v, value: v, "aria-describedby": described }));
      const unknown = h("input", { type: "checkbox", id: name + "-unknown", checked: true, "aria-describedby": described });
      unknown.addEventListener("change", () => {
        if (unknown.checked) for (const b of boxes) b.checked = false;
      });
      for (const b of boxes) b.addEventListener("change", () => {
        unknown.checked = !boxes.some((x) => x.checked);
      });
      node.el = h("fieldset", { class: "fact choices-fact", id: name, "data-path": path },
        h("legend", {}, label, " ", pathTag), hint,
        h("div", { class: "choices" },
          boxes.map((b) => h("span", { class: "choice" }, b, h("label", { for: b.id }, sentence(words(b.value))))),
          h("span", { class: "choice" }, unknown, h("label", { for: unknown.id }, "Unknown"))));
      node.get = () => {
        const on = boxes.filter((b) => b.checked).map((b) => b.value);
        return on.length ? on : undefined;
      };
      node.set = (value) => {
        const list = Array.isArray(value) ? value : [];
        for (const b of boxes) b.checked = list.includes(b.value);
        unknown.checked = !list.length;
      };
      node.focus = () => (boxes[0] || unknown).focus();
      leaves.set(path, node);
      return node;
    }

    if (kind === "list") {
      // a list of objects (several people, say): items can be added and removed
      const items = [];
      const holder = h("div", { class: "list-items" });
      const itemTitle = humanTitle(resolve(s.items).title, key);
      const add = (value) => {
        const index = items.length;
        const child = build(s.items, String(index), path + "." + index, depth + 1);
        const remove = h("button", { type: "button", class: "small" }, "Remove " + itemTitle.toLowerCase() + " " + (index + 1));
        const wrap = h("div", { class: "list-item" }, child.el, remove);
        remove.addEventListener("click", () => {
          items.splice(items.indexOf(child), 1);
          wrap.remove();
        });
        items.push(child);
        holder.append(wrap);
        if (value) child.set(value);
        return child;
      };
      const addButton = h("button", { type: "button", class: "small" }, "Add " + itemTitle.toLowerCase());
      addButton.addEventListener("click", () => add());
      node.el = h("fieldset", { class: "fact list", "data-path": path },
        h("legend", {}, label, " ", pathTag), hint, holder, addButton);
      node.get = () => {
        const out = items.map((c) => c.get()).filter((v) => v !== undefined);
        return out.length ? out : undefined;
      };
      node.set = (value) => {
        items.length = 0;
        holder.textContent = "";
        for (const v of Array.isArray(value) ? value : []) add(v);
      };
      return node;
    }

    // anything else: JSON typed by hand, checked by the server
    const id = idOf(path);
    const area = h("textarea", { id, rows: 2, "aria-describedby": described, class: "json" });
    node.el = h("div", { class: "fact json", "data-path": path },
      h("label", { for: id, class: "fact-label" }, label, " (JSON) ", pathTag), hint, area);
    node.get = () => {
      const raw = area.value.trim();
      if (!raw) return undefined;
      try { return JSON.parse(raw); } catch (e) { return raw; }
    };
    node.set = (value) => { area.value = value === undefined ? "" : JSON.stringify(value); };
    node.focus = () => area.focus();
    leaves.set(path, node);
    return node;
  }

  function currentCase() {
    const value = form.get() || {};
    if (!value.facts) value.facts = {};
    return value;
  }

  // The form's control for a fact path, or for the nearest fact above it ("victim.age.min" is
  // part of the age; "accused.roles.0" of the roles).
  function leafFor(factPath) {
    const parts = String(factPath || "").split(".");
    for (let n = parts.length; n > 0; n--) {
      const p = parts.slice(0, n).join(".");
      const leaf = leaves.get("facts." + p) || leaves.get(p);
      if (leaf) return leaf;
    }
    return null;
  }

  function factLabel(factPath) {
    const leaf = leafFor(factPath);
    return leaf ? leaf.label : factPath;
  }

  function focusFact(factPath) {
    const leaf = leafFor(factPath);
    if (!leaf) return;
    for (let el = leaf.el.parentElement; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") el.open = true;
    }
    leaf.el.scrollIntoView({ block: "center" });
    if (leaf.focus) leaf.focus();
  }

  // ---------------------------------------------------------------------------------------
  // evaluation and the result

  let lastCase = null;
  let lastResult = null;
  let previousCase = null; // before the last what-if, for undo
  let rules = null; // the rulebook's rules (for titles and "does not apply")
  let currentPair = null; // in a case of several people: the pair shown in full ({accused, victim})
  let lastStrict = false; // whether the result shown was evaluated in strict mode

  const SECTIONS = [
    ["sentencing", "Sentencing"],
    ["protection", "What the victim is owed: protections and remedies"],
    ["consequence", "Collateral consequences"],
    ["defense_barred", "Defenses barred"],
    ["investigation", "Investigation tools"],
    ["gap", "Gaps the source names"],
  ];
  const KIND_TITLES = {
    status: "Victim status", charge: "Charges", sentencing: "Sentencing",
    consequence: "Collateral consequences", defense_barred: "Defenses barred",
    protection: "Protections and remedies", investigation: "Investigation tools",
    gap: "Gaps the source names",
  };
  // as the library's reports word them
  const STATUS_WORDS = {
    applies: "applies", may_apply: "may apply", undetermined: "undetermined — facts missing",
    source_silent: "undetermined — the source does not say", does_not_apply: "does not apply",
  };
  const KNOWN_CONCLUSION_FIELDS = new Set(["id", "kind", "title", "status", "certainty", "rule",
    "role", "offense", "penalty", "modality", "deadline", "deadlines", "topic", "applies_to",
    "on_conviction", "presumed", "hedged_by", "text", "note", "citations", "derivations",
    "reason", "missing", "rules", "facts"]);
  const KNOWN_RESULT_FIELDS = new Set(["conclusions", "statuses", "undetermined",
    "not_applicable", "ask_next", "presumptions", "warnings", "facts", "stamp"]);
  const KNOWN_CASE_FIELDS = new Set(["case_id", "title", "pairs", "victims", "accused",
    "presumptions", "warnings", "stamp"]);

  // The query of a question about the result shown: the pair (in a case of several people) and
  // strict mode where the route takes it.
  function query(params, options) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== undefined && v !== null) q.set(k, String(v));
    }
    if (currentPair) {
      if (currentPair.accused) q.set("accused", currentPair.accused);
      q.set("victim", currentPair.victim);
    }
    if (!(options && options.noStrict) && lastStrict) q.set("strict", "true");
    const text = q.toString();
    return text ? "?" + text : "";
  }

  function strictMode() {
    return $("strict").checked;
  }

  function titleOf(id) {
    const found = (r) => [...(r.conclusions || []), ...(r.statuses || []), ...(r.undetermined || []),
      ...(r.not_applicable || [])].find((c) => c.id === id);
    if (lastResult) {
      const results = lastResult.pairs ? lastResult.pairs.map((p) => p.result) : [lastResult];
      for (const r of results) {
        const c = found(r);
        if (c) return c.title;
      }
    }
    if (rules) {
      const r = rules.find((x) => x.conclusion === id);
      if (r) return r.conclusion_title;
    }
    return id;
  }

  function range(r, unit, money) {
    if (!r || (r.min == null && r.max == null)) return null;
    const f = (v) => (money ? "$" + Number(v).toLocaleString("en-US") : String(v));
    if (r.min == null) return "up to " + f(r.max) + unit;
    if (r.max == null) return "at least " + f(r.min) + unit;
    return f(r.min) + "–" + f(r.max) + unit;
  }

  // A penalty as the source states it (the library's words: dmst.report format_penalty).
  function penaltyText(p) {
    return p ? sentence(penaltyWords(p)) : null;
  }

  function penaltyWords(p) {
    const parts = [];
    const prison = range(p.prison_years, " years");
    const fine = range(p.fine_usd, "", true);
    if (prison) parts.push("prison " + prison);
    if (fine) parts.push("fine " + fine);
    let text = parts.length ? parts.join("; ") : "no penalty stated in the source";
    if (p.basis === "group" && parts.length) text += " (the range for " + p.group + ", not this offense's own)";
    return text;
  }

  const plural = (n, one, many) => n + " " + (n === 1 ? one : many);

  function badge(certainty) {
    if (certainty === "may_apply") return h("span", { class: "badge may" }, "may apply");
    if (certainty === "applies") return h("span", { class: "badge applies" }, "applies");
    if (certainty === "does_not_apply") return h("span", { class: "badge no" }, "does not apply");
    if (certainty === "undetermined" || certainty === "source_silent") {
      return h("span", { class: "badge open" }, STATUS_WORDS[certainty]);
    }
    return h("span", { class: "badge other" }, words(certainty || ""));
  }

  function citationBlock(citations) {
    const list = citations || [];
    if (!list.length) return null;
    const one = (c) => h("figure", { class: "citation" },
      h("blockquote", {}, /^[“"]/.test(c.quote) ? c.quote : "“" + c.quote + "”"),
      h("figcaption", {}, [c.section, c.statute ? c.statute.cite + " (" + c.statute.confidence + " confidence)" : null]
        .filter(Boolean).join("; ")));
    const out = [one(list[0])];
    if (list.length > 1) {
      out.push(h("details", { class: "more-quotes" },
        h("summary", {}, (list.length - 1) + " more " + (list.length === 2 ? "quote" : "quotes")),
        list.slice(1).map(one)));
    }
    return out;
  }

  function extraFields(obj, known) {
    const rows = [];
    for (const [k, v] of Object.entries(obj || {})) {
      if (known.has(k) || v === null || v === undefined) continue;
      if (Array.isArray(v) && !v.length) continue;
      rows.push(h("dt", {}, sentence(words(k))), h("dd", {}, formatValue(v)));
    }
    return rows.length ? h("dl", { class: "extra" }, rows) : null;
  }

  // Fill a <details> the first time it is opened: "loading" while asking, then what fill()
  // returns (a list of nodes), or the error's message.
  function onFirstOpen(d, body, loading, fill) {
    d.addEventListener("toggle", async () => {
      if (!d.open || body.dataset.loaded) return;
      body.dataset.loaded = "1";
      body.textContent = loading;
      try {
        const nodes = await fill();
        body.textContent = "";
        body.append(...nodes);
      } catch (e) {
        body.textContent = e.message;
      }
    });
  }

  function explainDetails(id) {
    const body = h("div", { class: "lazy" });
    const d = h("details", { class: "explain" }, h("summary", {}, "How was this reached?"), body);
    const asked = query({ conclusion: id });
    onFirstOpen(d, body, "Loading…", async () => {
      const nodes = await api("v1/explain" + asked, { body: lastCase });
      return [h("ul", { class: "tree" }, nodes.map((n) => explanationNode(n, new Set())))];
    });
    return d;
  }

  function factUse(f) {
    return h("li", { class: f.holds === false ? "fails" : "holds" },
      (f.holds === false ? "✗ " : "✓ ") + (f.condition || f.fact) + " — given: " + formatValue(f.value) +
      (f.presumed ? " (presumed: the case is silent)" : ""));
  }

  function explanationNode(node, seen) {
    const head = h("span", {}, h("strong", {}, node.title || node.id), " ", badge(node.certainty));
    if (seen.has(node.id)) return h("li", {}, head, " (shown above)");
    seen.add(node.id);
    if (node.elsewhere) return h("li", {}, head, " — reached for another accused of the case: see that pair");
    const steps = (node.derivations || []).map((step) => h("li", {},
      h("span", {}, "by the rule: ", step.title || step.rule, " ", h("code", {}, step.rule),
        step.accused ? " (for accused " + step.accused + ")" : ""),
      citationBlock(step.citations),
      h("ul", {},
        (step.facts || []).map(factUse),
        (step.exceptions || []).map((ex) => h("li", {}, "not overridden by: " + (ex.title || ex.id))),
        (step.relied_on || []).map((n) => explanationNode(n, seen)))));
    return h("li", {}, head, h("ul", {}, steps));
  }

  function conclusionCard(c, level, options) {
    const opts = options || {};
    const heading = h("h" + level, { class: "card-title" }, c.title || c.id, " ", badge(c.certainty));
    const meta = [];
    if (c.modality) meta.push("Modality: " + words(c.modality));
    if (c.deadline) meta.push("Deadline: " + c.deadline);
    if (c.on_conviction) meta.push("Attaches on conviction (no conviction is given yet)");
    const appliesTo = (c.applies_to || []).length
      ? h("p", { class: "applies-to" }, "For: " + c.applies_to.map(titleOf).join("; "))
      : null;
    return h("article", { class: "card conclusion", "data-id": c.id },
      heading,
      c.penalty ? h("p", { class: "penalty" }, penaltyText(c.penalty)) : null,
      meta.length ? h("p", { class: "meta" }, meta.join(" · ")) : null,
      (c.deadlines || []).length
        ? h("ul", { class: "deadlines" }, c.deadlines.map((d) => h("li", {}, "By " + d.date + ": " + d.description + " (" + d.months + " months from the offense date)")))
        : null,
      appliesTo,
      (c.hedged_by || []).length
        ? h("p", { class: "meta" }, "May apply because it rests on: " + c.hedged_by.map(titleOf).join("; "))
        : null,
      (c.presumed || []).length
        ? h("p", { class: "meta presumed" }, "Rests on a presumed fact: " + c.presumed.map(factLabel).join(", "))
        : null,
      c.text ? h("p", { class: "text" }, c.text) : null,
      citationBlock(c.citations),
      extraFields(c, KNOWN_CONCLUSION_FIELDS),
      h("p", { class: "rule-ref" }, "Rule ", h("code", {}, c.rule || c.id)),
      opts.explain === false ? null : explainDetails(c.id));
  }

  let headingLevel = 3; // sections of a result: h3 on its own, h4 inside a case

  function section(title, id, ...body) {
    return h("section", { class: "result-section", "aria-labelledby": id },
      h("h" + headingLevel, { id }, title), ...body);
  }

  function answerButton(fact) {
    if (caseMode() || !leafFor(fact)) return h("code", {}, fact);
    return h("button", { type: "button", class: "link", onclick: () => focusFact(fact) },
      "Answer: " + factLabel(fact), " ", h("code", { class: "path" }, fact));
  }

  function caseAbout(extra) {
    const c = lastCase || {};
    if (!c.title && !c.narrative && !c.case_id && !extra) return null;
    return h("div", { class: "case-about" },
      c.title ? h("p", { class: "case-title" }, c.title) : null,
      c.case_id ? h("p", { class: "meta" }, "Case id: " + c.case_id) : null,
      extra ? h("p", {}, extra) : null,
      c.narrative ? h("p", { class: "narrative" }, c.narrative) : null);
  }

  function warningsSection(list) {
    if (!(list || []).length) return null;
    return section("Warnings", "sec-warnings",
      h("ul", { class: "warnings" }, list.map((w) => h("li", {}, w.message || JSON.stringify(w)))));
  }

  function presumptionsSection(list) {
    if (!(list || []).length) return null;
    return section("Presumed facts", "sec-presumed",
      h("p", {}, "The case is silent on these facts, so dmst presumes them, as a careful reader " +
        "would, and marks each conclusion that rests on them. Turn on strict mode to presume nothing."),
      h("ul", { class: "presumptions" }, list.map((p) => h("li", { "data-fact": p.fact },
        h("strong", {}, factLabel(p.fact) + ": " + formatValue(p.value)), " ", h("code", { class: "path" }, p.fact),
        p.reason ? h("p", {}, p.reason) : null,
        citationBlock(p.citations),
        extraFields(p, new Set(["fact", "value", "reason", "citations"]))))));
  }

  // A Result: one accused and one victim (the case, or one pair of a case of several people).
  function renderResult(result, changes, container) {
    const out = container || $("result");
    out.textContent = "";
    const conclusions = result.conclusions || [];
    const statuses = result.statuses || [];
    const undetermined = result.undetermined || [];

    if (!container) put(out, caseAbout());
    if (changes) put(out, changesSection(changes));
    put(out, warningsSection(result.warnings));
    put(out, presumptionsSection(result.presumptions));

    put(out, section("Victim status", "sec-status",
      statuses.length
        ? h("ul", { class: "statuses" }, statuses.map((s) => h("li", { "data-id": s.id },
          h("span", { class: "mark", "aria-hidden": "true" }, "✓ "), s.title, " ", badge(s.certainty))))
        : h("p", {}, "No status of the victim follows from the facts given.")));

    const charges = conclusions.filter((c) => c.kind === "charge");
    const roles = (result.facts || {})["accused.roles"];
    put(out, section("Charges", "sec-charges",
      h("p", { class: "meta" }, "Against the accused" +
        (Array.isArray(roles) && roles.length ? ", who took part as " + roles.map(words).join(" and ") : "") + "."),
      charges.length ? charges.map((c) => conclusionCard(c, headingLevel + 1)) : h("p", {}, "No charge applies on the facts given.")));

    for (const [kind, title] of SECTIONS) {
      const list = conclusions.filter((c) => c.kind === kind);
      if (!list.length) continue;
      put(out, section(title, "sec-" + kind, list.map((c) => conclusionCard(c, headingLevel + 1))));
    }
    const knownKinds = new Set(["charge", ...SECTIONS.map((s) => s[0])]);
    const other = conclusions.filter((c) => !knownKinds.has(c.kind));
    if (other.length) put(out, section("Other conclusions", "sec-other", other.map((c) => conclusionCard(c, headingLevel + 1))));

    put(out, doesNotApplySection(result));
    put(out, askNextSection(result.ask_next || []));
    put(out, undeterminedSection(undetermined));
    put(out, whatIfSection());
    put(out, factsSection(result.facts || {}));

    for (const [k, v] of Object.entries(result)) {
      if (KNOWN_RESULT_FIELDS.has(k) || v === null || (Array.isArray(v) && !v.length)) continue;
      put(out, section(sentence(words(k)), "sec-x-" + k, genericValue(v)));
    }
    if (!container) {
      put(out, stampSection(result.stamp));
      show($("result-tools"), true);
    }
  }

  // A CaseResult: several accused and victims, pair by pair, with summaries by accused and by
  // victim; one pair at a time is shown in full.
  function renderCaseResult(result) {
    const out = $("result");
    out.textContent = "";
    currentPair = null;
    const pairs = result.pairs || [];
    const people = "A case of " + (result.accused || []).length + " accused and " +
      plural((result.victims || []).length, "victim", "victims") + ": " +
      plural(pairs.length, "pair", "pairs") + " of accused and victim.";
    put(out, caseAbout(people));
    put(out, warningsSection(result.warnings));
    put(out, presumptionsSection(result.presumptions));

    put(out, section("The accused and their charges", "sec-accused",
      (result.accused || []).length
        ? result.accused.map((a, i) => accusedSummary(a, i))
        : h("p", {}, "The case names no accused.")));
    put(out, section("The victims", "sec-victims",
      (result.victims || []).map((v, i) => victimSummary(v, i))));

    const holder = h("div", { class: "pair-result", id: "pair-result" });
    const select = h("select", { id: "pair-select" }, pairs.map((p, k) =>
      h("option", { value: String(k) }, pairName(p))));
    select.addEventListener("change", () => showPair(pairs[Number(select.value)], holder));
    put(out, section("Each pair in full", "sec-pairs",
      h("p", {}, "Everything dmst concludes for one accused and one victim, with how each " +
        "conclusion was reached, what does not apply and why, and what to ask next."),
      h("div", { class: "pair-choice" }, h("label", { for: "pair-select" }, "Pair"), select),
      holder));
    if (pairs.length) showPair(pairs[0], holder);

    for (const [k, v] of Object.entries(result)) {
      if (KNOWN_CASE_FIELDS.has(k) || v === null || (Array.isArray(v) && !v.length)) continue;
      put(out, section(sentence(words(k)), "sec-x-" + k, genericValue(v)));
    }
    put(out, stampSection(result.stamp));
    show($("result-tools"), true);
  }

  function pairName(p) {
    return (p.accused ? "Accused " + p.accused : "No accused") + " and victim " + p.victim;
  }

  function showPair(p, holder) {
    currentPair = { accused: p.accused, victim: p.victim };
    const level = headingLevel;
    headingLevel = 4;
    try {
      renderResult(p.result, null, holder);
    } finally {
      headingLevel = level;
    }
    holder.setAttribute("aria-label", pairName(p));
  }

  function accusedSummary(a, i) {
    const hid = "accused-" + i;
    const given = [];
    if (a.charged_with) given.push("Charged with: " + (a.charged_with.length ? a.charged_with.map(words).join(", ") : "nothing yet"));
    if (a.convicted_of) given.push("Convicted of: " + (a.convicted_of.length ? a.convicted_of.map(words).join(", ") : "nothing yet"));
    const holds = (c) => Object.values(c.victims || {}).some((st) => st === "applies" || st === "may_apply");
    const charge = (c) => h("li", { "data-id": c.id },
      h("strong", { class: "charge-title" }, c.title),
      c.penalty ? h("span", { class: "penalty" }, " — " + penaltyWords(c.penalty)) : null,
      h("ul", { class: "by-victim" }, Object.entries(c.victims || {}).map(([vid, status]) =>
        h("li", { "data-victim": vid }, "Victim " + vid + ": ", badge(status)))));
    const applying = (a.charges || []).filter(holds);
    const open = (a.charges || []).filter((c) => !holds(c));
    return h("section", { class: "person accused", "aria-labelledby": hid, "data-accused": a.id },
      h("h4", { id: hid }, "Accused " + a.id + ((a.roles || []).length ? " — " + a.roles.map(words).join(", ") : "")),
      given.map((t) => h("p", { class: "meta" }, t)),
      applying.length
        ? h("ul", { class: "case-charges" }, applying.map(charge))
        : h("p", {}, "No charge applies on the facts given."),
      open.length
        ? h("details", { class: "undetermined-list" },
          h("summary", {}, plural(open.length, "charge", "charges") + " the facts cannot decide yet"),
          h("ul", { class: "case-charges open" }, open.map(charge)))
        : null);
  }

  function victimSummary(v, i) {
    const hid = "victim-" + i;
    const conclusions = v.conclusions || [];
    const undetermined = v.undetermined || [];
    const notApplicable = v.not_applicable || [];
    return h("section", { class: "person victim", "aria-labelledby": hid, "data-victim": v.id },
      h("h4", { id: hid }, "Victim " + v.id),
      (v.statuses || []).length
        ? h("ul", { class: "statuses" }, v.statuses.map((id) => h("li", { "data-id": id },
          h("span", { class: "mark", "aria-hidden": "true" }, "✓ "), titleOf(id))))
        : h("p", {}, "No status of the victim follows from the facts given."),
      conclusions.length
        ? h("ul", { class: "owed" }, conclusions.map((c) => h("li", { "data-id": c.id }, c.title, " ", badge(c.certainty))))
        : h("p", {}, "Nothing the victim is owed follows from the facts given."),
      notApplicable.length
        ? h("p", {}, "Does not apply: " + notApplicable.map((n) => n.title).join("; ") + ".")
        : null,
      undetermined.length
        ? h("details", { class: "undetermined-list" },
          h("summary", {}, undetermined.length + (undetermined.length === 1 ? " conclusion" : " conclusions") +
            " about this victim the facts cannot decide yet"),
          h("ul", {}, undetermined.map((u) => h("li", { "data-id": u.id }, u.title,
            (u.missing || []).length ? " — would be decided by: " + u.missing.join(", ") : ""))))
        : null);
  }

  function genericValue(v) {
    if (Array.isArray(v)) {
      return h("ul", {}, v.map((item) => h("li", {},
        item && typeof item === "object"
          ? (item.title || item.message || item.id || JSON.stringify(item))
          : formatValue(item))));
    }
    return h("p", {}, formatValue(v));
  }

  function undeterminedSection(list) {
    if (!list.length) {
      return section("Undetermined", "sec-undetermined",
        h("p", {}, "Nothing is left undetermined by the facts given."));
    }
    const cards = list.map((u) => h("article", { class: "card undetermined", "data-id": u.id },
        h("h" + (headingLevel + 1), { class: "card-title" }, u.title || u.id,
          " ", h("span", { class: "badge open" }, "undetermined")),
        u.reason === "source_silent"
          ? h("p", {}, "The source does not say whether this applies." + (u.note ? " " + u.note : ""))
          : null,
        (u.missing || []).length
          ? h("div", { class: "missing" }, h("p", {}, "Would be decided by:"),
            h("ul", {}, u.missing.map((f) => h("li", {}, answerButton(f)))))
          : null,
        u.certainty === "may_apply" ? h("p", { class: "meta" }, "If it applies, the source says it may apply.") : null,
        (u.applies_to || []).length ? h("p", { class: "applies-to" }, "For: " + u.applies_to.map(titleOf).join("; ")) : null,
        u.text ? h("p", { class: "text" }, u.text) : null,
        citationBlock(u.citations),
        extraFields(u, KNOWN_CONCLUSION_FIELDS)));
    const many = list.length > 8;
    return section("Undetermined: what the facts given cannot decide", "sec-undetermined",
      h("details", { class: "undetermined-list", open: !many },
        h("summary", {}, list.length + (list.length === 1 ? " conclusion" : " conclusions") +
          " the facts given cannot decide yet, each with the facts that would decide it"),
        cards));
  }

  function askNextSection(list) {
    if (!list.length) return section("Questions to ask next", "sec-ask", h("p", {}, "No unknown fact would settle anything more."));
    return section("Questions to ask next", "sec-ask",
      h("p", {}, "Unknown facts, the one that would settle the most first."),
      h("ol", { class: "ask-next" }, list.map((a) => h("li", { "data-fact": a.fact },
        answerButton(a.fact),
        a.question ? h("span", { class: "question-text" }, " — " + a.question) : null,
        h("span", { class: "settles" }, " (bears on " + a.settles + " undetermined " + (a.settles === 1 ? "conclusion" : "conclusions") + ")")))));
  }

  function reasonText(r) {
    if (r.conclusion) {
      return (r.exception ? "overridden by: " : "needs: ") + titleOf(r.conclusion);
    }
    return r.condition + (r.fact ? " — given: " + formatValue(r.value) : "");
  }

  function doesNotApplySection(result) {
    const body = h("div", {});
    const d = h("details", { class: "does-not-apply" },
      h("summary", {}, "Show the conclusions that do not apply, and why"), body);
    const reasons = new Map((result.not_applicable || []).map((n) => [n.id, n]));
    onFirstOpen(d, body, "Loading…", async () => {
      await loadRules();
      const present = new Set([...(result.conclusions || []), ...(result.statuses || []), ...(result.undetermined || [])].map((c) => c.id));
      const seen = new Set();
      const missingOnes = [];
      for (const r of rules) {
        if (present.has(r.conclusion) || seen.has(r.conclusion)) continue;
        seen.add(r.conclusion);
        missingOnes.push(r);
      }
      if (!missingOnes.length) {
        return [h("p", {}, "Every conclusion of the rulebook applies or is undetermined.")];
      }
      const order = ["charge", "status", "protection", "sentencing", "consequence", "defense_barred", "investigation", "gap"];
      // first those the result says do not apply (a threshold or a fact decides it), then the rest
      missingOnes.sort((a, b) => (reasons.has(b.conclusion) - reasons.has(a.conclusion)) ||
        (order.indexOf(a.kind) - order.indexOf(b.kind)));
      return [h("p", {}, "Open one to see each condition of each rule that could add it, as it stands on these facts."),
        h("ul", { class: "not-apply" }, missingOnes.map((r) => h("li", {}, whyNotDetails(r, reasons.get(r.conclusion)))))];
    });
    return section("What does not apply, and why", "sec-not", d);
  }

  function whyNotDetails(r, decided) {
    const body = h("div", { class: "lazy" });
    const asked = query({ depth: 0, conclusion: r.conclusion });
    const because = decided && (decided.because || []).length
      ? h("span", { class: "because" }, " — because " + decided.because.map(reasonText).join("; "))
      : null;
    const d = h("details", { class: "why-not", "data-id": r.conclusion },
      h("summary", {}, r.conclusion_title, " ", h("span", { class: "kind" }, "(" + (KIND_TITLES[r.kind] || words(r.kind)).toLowerCase() + (r.role ? ", " + r.role : "") + ")"), because),
      body);
    onFirstOpen(d, body, "Loading…", async () =>
      [whyNotView(await api("v1/why-not" + asked, { body: lastCase }))]);
    return d;
  }

  const MARKS = { holds: "✓", fails: "✗", unknown: "?" };
  const OUTCOMES = {
    holds: "holds", fails: "does not hold", unknown: "depends on unknown facts",
    blocked: "blocked by an exception", maybe_blocked: "may be blocked by an exception",
  };

  function checkItem(c) {
    const value = c.fact ? " — " + (c.known === false ? "unknown" : "given: " + formatValue(c.value)) : "";
    return h("li", { class: "check " + c.status },
      h("span", { class: "mark", "aria-hidden": "true" }, (MARKS[c.status] || "·") + " "),
      h("span", { class: "visually-hidden" }, c.status + ": "),
      c.condition + value,
      (c.checks || []).length ? h("ul", {}, c.checks.map(checkItem)) : null);
  }

  function whyNotView(w) {
    const parts = [h("p", {}, "Status: ", h("strong", {}, STATUS_WORDS[w.status] || words(w.status)))];
    if ((w.deciders || []).length) {
      parts.push(h("p", {}, "What the missing facts would make of it:"),
        h("ul", { class: "deciders" }, w.deciders.map((d) => h("li", {},
          factLabel(d.fact) + ": " + formatValue(d.value) + " → " + (STATUS_WORDS[d.status] || words(d.status)),
          " ", h("code", { class: "path" }, d.fact)))));
    }
    for (const r of w.rules || []) {
      parts.push(h("div", { class: "rule-check" },
        h("p", {}, "Rule ", h("code", {}, r.rule), ": ", OUTCOMES[r.outcome] || words(r.outcome)),
        r.note ? h("p", { class: "meta" }, r.note) : null,
        h("ul", { class: "checks" }, (r.conditions || []).map(checkItem)),
        (r.exceptions || []).length
          ? h("p", {}, "Exceptions: " + r.exceptions.map((e) => (e.title || e.id) + " (" + words(e.status) + ")").join("; "))
          : null));
    }
    return h("div", {}, parts);
  }

  function whatIfSection() {
    const body = h("div", {});
    const d = h("details", { class: "what-if" },
      h("summary", {}, "Show the single changes that would alter the result"), body);
    const asked = query({}, { noStrict: true });
    const tryable = !caseMode(); // a change is tried in the form; a case file is edited by hand
    onFirstOpen(d, body, "Trying each single change…", async () => {
      const report = await api("v1/flips" + asked, { body: lastCase });
      const useful = (report.flips || []).filter((f) => !f.skipped && (f.changes || []).length);
      if (!useful.length) {
        return [h("p", {}, "No single change of the facts dmst tries would change the result.")];
      }
      return [h("p", {}, tryable
        ? "Each change below alters one fact. Try one to see the whole result with it; you can undo it."
        : "Each change below alters one fact of this pair. To try one, change it in the case file."),
      h("ul", { class: "flips" }, useful.map((f) => flipItem(f, tryable)))];
    });
    return section("What if one fact changed", "sec-whatif", d);
  }

  function flipItem(f, tryable) {
    const add = f.changes.filter((c) => c.change === "appears").length;
    const gone = f.changes.filter((c) => c.change === "disappears").length;
    const other = f.changes.length - add - gone;
    const summary = [add && add + " would apply", gone && gone + " would no longer apply", other && other + " other changes"].filter(Boolean).join(", ");
    const label = factLabel(f.fact) + ": " + formatValue(f.before) + " → " + formatValue(f.after);
    return h("li", {},
      h("p", {}, h("strong", {}, label), " ", h("code", { class: "path" }, f.fact), " — " + summary),
      h("ul", { class: "flip-changes" }, f.changes.slice(0, 8).map((c) => h("li", {}, changeLine(c))),
        f.changes.length > 8 ? h("li", {}, "and " + (f.changes.length - 8) + " more") : null),
      tryable ? h("button", { type: "button", class: "small", onclick: () => tryFlip(f) }, "Try this: " + label) : null);
  }

  const CHANGE_WORDS = {
    appears: "now applies", disappears: "no longer applies", changes: "changes",
    becomes_undetermined: "becomes undetermined", no_longer_undetermined: "is no longer undetermined",
  };

  const DIFFERENCE_WORDS = {
    status: "whether it applies", certainty: "its certainty",
    applies_to: "the charges it attaches to", modality: "its modality",
  };

  function changeLine(c) {
    let what = CHANGE_WORDS[c.change] || words(c.change);
    if (c.change === "changes" && (c.differences || []).length) {
      what = "changes " + c.differences.map((d) => DIFFERENCE_WORDS[d] || words(d)).join(" and ");
    }
    return (c.change === "appears" ? "+ " : c.change === "disappears" ? "− " : "~ ") +
      (c.title || c.id) + " — " + what;
  }

  function setFact(data, path, value) {
    const keys = path.split(".");
    let node = data;
    for (const k of keys.slice(0, -1)) {
      if (typeof node[k] !== "object" || node[k] === null) node[k] = {};
      node = node[k];
    }
    if (value === null || value === undefined) delete node[keys[keys.length - 1]];
    else node[keys[keys.length - 1]] = value;
  }

  async function tryFlip(f) {
    const before = JSON.parse(JSON.stringify(lastCase));
    const after = JSON.parse(JSON.stringify(lastCase));
    setFact(after.facts, f.fact, f.after);
    form.set(after);
    previousCase = before;
    await evaluate({ compareWith: before, focus: true });
  }

  function changesSection(d) {
    const facts = (d.facts || []).map((f) => factLabel(f.fact) + ": " + formatValue(f.before) + " → " + formatValue(f.after));
    const undo = h("button", { type: "button", class: "small", onclick: async () => {
      if (!previousCase) return;
      form.set(previousCase);
      previousCase = null;
      await evaluate({ focus: true });
    } }, "Undo this change");
    return section("What changed", "sec-changes",
      h("p", {}, "Facts changed: " + (facts.join("; ") || "none")),
      (d.changes || []).length
        ? h("ul", { class: "diff" }, d.changes.map((c) => h("li", {}, changeLine(c),
          (c.because || []).length ? " (because " + c.because.map((b) => b.fact).join(", ") + ")" : "")))
        : h("p", {}, "No conclusion changes."),
      previousCase ? undo : null);
  }

  function factsSection(facts) {
    const rows = Object.entries(facts);
    return section("Facts given", "sec-facts",
      rows.length
        ? h("table", { class: "facts" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Fact"), h("th", { scope: "col" }, "Value"))),
          h("tbody", {}, rows.map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, factLabel(k), " ", h("code", { class: "path" }, k)), h("td", {}, formatValue(v))))))
        : h("p", {}, "No fact given: every fact is unknown."));
  }

  function stampSection(stamp) {
    if (!stamp) return null;
    const rb = stamp.rulebook || {};
    const src = stamp.source || {};
    const asOf = stamp.as_of || {};
    return h("section", { class: "stamp", "aria-label": "What produced this result" },
      h("p", {}, "Rulebook " + [rb.id, rb.version].filter(Boolean).join(" ") + (rb.fingerprint ? " (fingerprint " + rb.fingerprint + ")" : "") +
        ". Source: " + [src.title, src.publisher].filter(Boolean).join(", ") + ". " +
        (asOf.from || asOf.until ? "Describes the law from " + (asOf.from || "?") + " until " + (asOf.until || "?") + ". " : "") +
        "dmst " + ((stamp.engine || {}).dmst || "") + "."),
      stamp.notice ? h("p", { class: "notice" }, stamp.notice) : null);
  }

  function showErrors(err) {
    const box = $("errors");
    box.textContent = "";
    for (const el of document.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    if (!err) return;
    const e = err.error || {};
    const problems = e.problems && e.problems.length ? e.problems : [];
    const fromText = caseMode(); // the case file written in the text box, not the form
    if (fromText) $("case-text").setAttribute("aria-invalid", "true");
    const items = problems.map((p) => {
      const field = (p.field || e.field || "").replace(/^facts\./, "");
      const text = (p.message || "") + (p.suggestion ? " (did you mean " + p.suggestion + "?)" : "");
      if (fromText) {
        return h("li", {}, (p.line ? "line " + p.line + ", " : "") + (field ? field + ": " : "") + text);
      }
      const leaf = leafFor(field);
      if (leaf && leaf.input) (leaf.inputFor ? leaf.inputFor(field) : leaf.input).setAttribute("aria-invalid", "true");
      return h("li", {}, leaf
        ? h("button", { type: "button", class: "link", onclick: () => focusFact(field) }, factLabel(field) + ": " + text)
        : (field ? field + ": " : "") + text);
    });
    box.append(h("div", { class: "error-box" },
      h("p", {}, h("strong", {}, "The case cannot be evaluated: "), err.message),
      items.length ? h("ul", {}, items) : null));
  }

  let evaluating = false;

  // The case written in the text box, as the server reads it (YAML or JSON; the server
  // answers with the case file as JSON, which the questions about the result then send).
  async function caseFromText() {
    const text = $("case-text").value;
    if (!text.trim()) {
      throw new ApiError(0, { message: "the case file is empty: write or paste one, or open a case file" });
    }
    const json = text.trim().startsWith("{");
    return api("v1/validate", {
      body: text, headers: { "Content-Type": json ? "application/json" : "application/yaml" },
    });
  }

  function summary(result) {
    if (!result.pairs) {
      const charges = (result.conclusions || []).filter((c) => c.kind === "charge").length;
      return charges + (charges === 1 ? " charge" : " charges") + " and " +
        (result.undetermined || []).length + " undetermined conclusions.";
    }
    const charges = (result.accused || []).reduce((n, a) => n + (a.charges || []).filter((c) =>
      Object.values(c.victims || {}).some((st) => st === "applies" || st === "may_apply")).length, 0);
    return "A case of " + result.pairs.length + (result.pairs.length === 1 ? " pair" : " pairs") +
      " of accused and victim; " + charges + (charges === 1 ? " charge applies" : " charges apply") +
      " across the accused.";
  }

  async function evaluate(options) {
    const opts = options || {};
    if (evaluating) return null;
    evaluating = true;
    const button = caseMode() ? $("evaluate-case") : $("evaluate");
    button.setAttribute("aria-busy", "true");
    try {
      const payload = caseMode() ? await caseFromText() : currentCase();
      const strict = strictMode();
      const result = await api("v1/evaluate" + (strict ? "?strict=true" : ""), { body: payload });
      let changes = null;
      if (opts.compareWith) changes = await api("v1/diff", { body: { a: opts.compareWith, b: payload } });
      else previousCase = null;
      lastCase = payload;
      lastResult = result;
      lastStrict = strict;
      currentPair = null;
      showErrors(null);
      if (result.pairs) renderCaseResult(result);
      else renderResult(result, changes);
      say("Evaluated. " + summary(result));
      if (opts.focus) $("result-heading").focus();
      return result;
    } catch (err) {
      showErrors(err);
      say("The case cannot be evaluated: " + err.message);
      return null;
    } finally {
      evaluating = false;
      button.removeAttribute("aria-busy");
    }
  }

  // ---------------------------------------------------------------------------------------
  // one victim and one accused (the form), or a case of several people (a case file)

  function caseMode() {
    return $("mode-case").checked;
  }

  // The form's case as a case of several people: its victim and accused the first of each.
  function asCaseOfSeveral(data) {
    const facts = data.facts || {};
    const victim = Object.assign({ id: "V1" }, facts.victim || {});
    if (facts.compensation) victim.compensation = facts.compensation;
    const out = {};
    for (const k of ["case_id", "title", "narrative"]) if (data[k]) out[k] = data[k];
    out.facts = { victims: [victim], accused: [Object.assign({ id: "A1" }, facts.accused || {})] };
    for (const k of ["investigation", "dates"]) if (facts[k]) out.facts[k] = facts[k];
    return out;
  }

  function setMode(mode) {
    const several = mode === "case";
    $("mode-" + (several ? "case" : "scenario")).checked = true;
    show($("case-form"), !several);
    show($("case-panel"), several);
    show($("guide-toggle"), !several);
    if (several && guiding) stopGuide();
    if (several && !$("case-text").value.trim()) {
      $("case-text").value = JSON.stringify(asCaseOfSeveral(currentCase()), null, 2) + "\n";
    }
    showErrors(null);
  }

  // ---------------------------------------------------------------------------------------
  // guided mode: one question at a time, the unknown fact that would settle the most first

  const skipped = new Set();
  let guiding = false;

  async function guideStep() {
    const body = $("guide-body");
    const result = await evaluate();
    body.textContent = "";
    if (!result) {
      body.append(h("p", {}, "Fix the problem shown with the result, then continue."));
      return;
    }
    const next = (result.ask_next || []).find((a) => !skipped.has(a.fact) && leafFor(a.fact));
    if (!next) {
      body.append(h("p", {}, "Nothing left to ask: no unknown fact would settle more."),
        h("button", { type: "button", onclick: () => stopGuide() }, "Leave guided mode"));
      $("guide-heading").focus();
      return;
    }
    const leaf = leafFor(next.fact);
    const qid = "guide-q";
    const question = h("p", { class: "question", id: qid }, h("strong", {}, leaf.label), " ", h("code", { class: "path" }, next.fact));
    const why = h("p", { class: "hint" }, next.description || leaf.description);
    const bears = h("p", { class: "meta" }, "Answering bears on " + next.settles + " undetermined " + (next.settles === 1 ? "conclusion" : "conclusions") + ".");
    let controls;
    const answer = async (value) => {
      const data = currentCase();
      setFact(data.facts, next.fact, value);
      form.set(data);
      await guideStep();
    };
    const skip = h("button", { type: "button", onclick: async () => { skipped.add(next.fact); await guideStep(); } }, "Skip: I do not know");
    if (leaf.kind === "bool") {
      controls = h("div", { class: "guide-answers", role: "group", "aria-labelledby": qid },
        h("button", { type: "button", class: "primary", onclick: () => answer(true) }, "Yes"),
        h("button", { type: "button", class: "primary", onclick: () => answer(false) }, "No"), skip);
    } else if (leaf.kind === "choices") {
      const options = resolve(leaf.schema.items).enum || [];
      const boxes = options.map((v) => h("input", { type: "checkbox", id: "guide-" + v, value: v }));
      controls = h("form", { class: "guide-answers", onsubmit: (ev) => {
        ev.preventDefault();
        const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
        if (chosen.length) answer(chosen);
      } },
      h("fieldset", { class: "guide-choices" }, h("legend", {}, "Choose every one that applies"),
        boxes.map((b) => h("span", { class: "choice" }, b, h("label", { for: b.id }, sentence(words(b.value)))))),
      h("button", { type: "submit", class: "primary" }, "Answer"), skip);
    } else {
      const numeric = leaf.kind === "number" || leaf.kind === "age";
      const input = h("input", { id: "guide-input", type: numeric ? "number" : leaf.kind === "date" ? "date" : "text",
        min: leaf.schema.minimum, max: leaf.schema.maximum });
      controls = h("form", { class: "guide-answers", onsubmit: (ev) => {
        ev.preventDefault();
        if (input.value === "") return;
        answer(numeric ? Number(input.value) : input.value);
      } }, h("label", { for: "guide-input" }, leaf.label), input,
      h("button", { type: "submit", class: "primary" }, "Answer"), skip);
    }
    body.append(h("p", { class: "step" }, "Next question"), question, why, bears, controls,
      h("p", {}, h("button", { type: "button", class: "link", onclick: () => stopGuide() }, "Leave guided mode")));
    const first = body.querySelector("input, .guide-answers button");
    if (first) first.focus();
  }

  function startGuide() {
    guiding = true;
    skipped.clear();
    $("guide-toggle").setAttribute("aria-pressed", "true");
    show($("guide"), true);
    guideStep();
  }

  function stopGuide() {
    guiding = false;
    $("guide-toggle").setAttribute("aria-pressed", "false");
    show($("guide"), false);
    $("guide-toggle").focus();
  }

  // ---------------------------------------------------------------------------------------
  // the rulebook beside the source

  let source = null;
  let selectedRule = null;

  async function loadRules() {
    if (!rules) rules = await api("v1/rules");
    return rules;
  }

  async function showRulebook() {
    if (source) return;
    try {
      const [list, src] = await Promise.all([loadRules(), api("v1/source")]);
      source = src;
      const kinds = [...new Set(list.map((r) => r.kind))];
      const select = $("rule-kind");
      for (const k of kinds) select.append(h("option", { value: k }, KIND_TITLES[k] || sentence(words(k))));
      $("source-about").textContent = [src.title, src.publisher].filter(Boolean).join(", ") + ". " +
        (src.edition ? src.edition + ". " : "") +
        "Each sentence lists the rules that quote it.";
      renderSource();
      renderRuleList();
    } catch (e) {
      $("rule-count").textContent = e.message;
    }
  }

  function renderRuleList() {
    const q = $("rule-filter").value.trim().toLowerCase();
    const kind = $("rule-kind").value;
    const list = $("rule-list");
    list.textContent = "";
    const shown = rules.filter((r) => (!kind || r.kind === kind) && (!q || (r.id + " " + r.title).toLowerCase().includes(q)));
    let area = null;
    for (const r of shown) {
      if (r.area !== area) {
        area = r.area;
        list.append(h("li", { class: "area" }, h("h3", {}, area)));
      }
      list.append(h("li", {}, h("button", {
        type: "button", class: "rule-button", "data-rule": r.id,
        "aria-current": selectedRule === r.id ? "true" : null,
        onclick: () => selectRule(r.id),
      }, h("span", { class: "rule-title" }, r.title), h("code", {}, r.id))));
    }
    $("rule-count").textContent = shown.length + " of " + rules.length + " rules";
  }

  function renderSource() {
    const box = $("source-text");
    box.textContent = "";
    for (const s of source.sentences) {
      if (s.heading) {
        box.append(h("h3", { class: "source-heading", id: "s-" + s.index }, s.text));
        continue;
      }
      box.append(h("p", { class: "sentence" + (s.rules.length ? " cited" : ""), id: "s-" + s.index, "data-rules": s.rules.join(" ") },
        s.text,
        s.rules.length
          ? h("span", { class: "cited-by" }, " Cited by: ", s.rules.map((id, i) => [i ? ", " : "",
            h("button", { type: "button", class: "link", onclick: () => selectRule(id) }, id)]))
          : s.context ? h("span", { class: "context" }, " Context only: " + s.context) : null));
    }
  }

  async function selectRule(id) {
    selectedRule = id;
    const panel = $("rule-detail");
    let r;
    try {
      r = await api("v1/rules/" + encodeURIComponent(id));
    } catch (e) {
      panel.textContent = e.message;
      show(panel, true);
      return;
    }
    panel.textContent = "";
    panel.append(h("div", {},
      h("h3", { id: "rule-detail-heading", tabindex: "-1" }, r.title),
      h("p", {}, h("code", {}, r.id), " — ", (KIND_TITLES[r.kind] || r.kind), r.role ? " (" + r.role + ")" : "", "; when it holds, the conclusion ", badge(r.certainty),
        r.source_silent ? " — but the source is silent on whether it applies" : ""),
      h("p", {}, "Adds: ", h("strong", {}, r.conclusion_title), " ", h("code", {}, r.conclusion)),
      r.then && r.then.penalty ? h("p", { class: "penalty" }, penaltyText(r.then.penalty)) : null,
      h("p", {}, "Holds when:"),
      h("ul", { class: "conditions" }, (r.conditions || []).map((alt, i) => h("li", {}, (i ? "or: " : "") + (alt.length ? alt.join(" and ") : "always (no condition)")))),
      (r.unless || []).length ? h("p", {}, "Unless: " + r.unless.join(", ")) : null,
      citationBlock(r.citations),
      h("p", {}, "File ", h("code", {}, r.file), " — ", r.area)));
    show(panel, true);
    for (const b of document.querySelectorAll(".rule-button")) {
      if (b.dataset.rule === id) b.setAttribute("aria-current", "true");
      else b.removeAttribute("aria-current");
    }
    let first = null;
    for (const p of document.querySelectorAll(".sentence")) {
      const on = (p.dataset.rules || "").split(" ").includes(id);
      p.classList.toggle("selected", on);
      if (on && !first) first = p;
    }
    if (first) {
      const box = $("source-text");
      if (box.scrollHeight > box.clientHeight) box.scrollTop = first.offsetTop - box.offsetTop - 16;
      else first.scrollIntoView({ block: "nearest" });
    }
    $("rule-detail-heading").focus();
  }

  // ---------------------------------------------------------------------------------------
  // tabs, toolbar, start

  function selectTab(tab) {
    for (const t of document.querySelectorAll('[role="tab"]')) {
      const on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      show($(t.getAttribute("aria-controls")), on);
    }
    if (tab.id === "tab-rules") showRulebook();
  }

  function setUpTabs() {
    const tabs = [...document.querySelectorAll('[role="tab"]')];
    tabs.forEach((tab, i) => {
      tab.addEventListener("click", () => selectTab(tab));
      tab.addEventListener("keydown", (ev) => {
        let j = null;
        if (ev.key === "ArrowRight") j = (i + 1) % tabs.length;
        if (ev.key === "ArrowLeft") j = (i - 1 + tabs.length) % tabs.length;
        if (ev.key === "Home") j = 0;
        if (ev.key === "End") j = tabs.length - 1;
        if (j !== null) {
          ev.preventDefault();
          tabs[j].focus();
          selectTab(tabs[j]);
        }
      });
    });
  }

  function download(name, text, type) {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const a = h("a", { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  function fileName(ext) {
    const title = (lastCase && lastCase.title) || (currentCase().title) || "case";
    return title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60) + ext;
  }

  async function openCaseFile(file) {
    const text = await file.text();
    const yaml = /\.ya?ml$/i.test(file.name);
    try {
      const data = await api("v1/validate", {
        body: text, headers: { "Content-Type": yaml ? "application/yaml" : "application/json" },
      });
      if (data.facts && Array.isArray(data.facts.victims)) {
        // several people: the file goes into the case file box, as it is
        $("case-text").value = text;
        setMode("case");
      } else {
        setMode("scenario");
        form.set(data);
      }
      showErrors(null);
      say("Opened " + file.name + ".");
      await evaluate({ focus: true });
    } catch (err) {
      showErrors(err);
      say("The file cannot be opened: " + err.message);
    }
  }

  function setUpToolbar() {
    $("case-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      evaluate({ focus: true });
    });
    $("guide-toggle").addEventListener("click", () => (guiding ? stopGuide() : startGuide()));

    $("clear-case").addEventListener("click", () => {
      form.set({});
      $("case-text").value = "";
      previousCase = null;
      showErrors(null);
      say("The form is cleared: every fact is unknown.");
    });
    $("save-case").addEventListener("click", () => {
      if (caseMode()) {
        const text = $("case-text").value;
        const json = text.trim().startsWith("{");
        download(fileName(json ? ".json" : ".yaml"), text, json ? "application/json" : "application/yaml");
        return;
      }
      download(fileName(".json"), JSON.stringify(currentCase(), null, 2) + "\n", "application/json");
    });
    for (const radio of document.querySelectorAll('input[name="mode"]')) {
      radio.addEventListener("change", () => setMode(radio.value));
    }
    $("evaluate-case").addEventListener("click", () => evaluate({ focus: true }));
    $("case-text").addEventListener("input", () => $("case-text").removeAttribute("aria-invalid"));
    $("open-case").addEventListener("change", (ev) => {
      const file = ev.target.files && ev.target.files[0];
      if (file) openCaseFile(file);
      ev.target.value = "";
    });
    $("print-brief").addEventListener("click", () => window.print());
    const brief = async (format, ext, type) => {
      const view = $("brief-view").value;
      const q = "?format=" + format + (view !== "all" ? "&view=" + encodeURIComponent(view) : "") +
        (lastStrict ? "&strict=true" : "");
      try {
        const text = await api("v1/evaluate" + q, { body: lastCase });
        download(fileName(ext), text, type);
      } catch (err) {
        showErrors(err);
      }
    };
    $("download-brief").addEventListener("click", () => brief("markdown", ".md", "text/markdown"));
    $("download-brief-html").addEventListener("click", () => brief("html", ".html", "text/html"));
    // the printed brief shows every quote
    window.addEventListener("beforeprint", () => {
      for (const d of document.querySelectorAll("#result details.more-quotes:not([open])")) {
        d.open = true;
        d.dataset.printOpened = "1";
      }
    });
    window.addEventListener("afterprint", () => {
      for (const d of document.querySelectorAll("#result details[data-print-opened]")) {
        d.open = false;
        delete d.dataset.printOpened;
      }
    });
    $("rule-filter").addEventListener("input", () => rules && renderRuleList());
    $("rule-kind").addEventListener("change", () => rules && renderRuleList());
  }

  async function start() {
    setUpTabs();
    setUpToolbar();
    try {
      const [schema, stamp] = await Promise.all([api("v1/schema"), api("v1/version")]);
      rootSchema = schema;
      form = build(schema, "", "", 0);
      $("form-fields").append(form.el);
      $("form-loading").remove();
      if (stamp && stamp.notice) $("notice").textContent = stamp.notice;
      const footer = stampSection(stamp);
      if (footer) $("stamp").append(footer);
      document.body.dataset.ready = "true";
    } catch (e) {
      $("form-loading").textContent = "The form cannot be loaded: " + e.message;
    }
  }

  document.addEventListener("DOMContentLoaded", start);
})();
