"""Seizures as STIX 2.1 and back (docs/stix-mapping.md), with the `stix2` library. Pure: text in, text
and dicts out.

A seizure becomes an `x-rilo-seizure` cyber-observable (a new SCO, declared by an
extension-definition) holding the CEN fields, an `observed-data` that reports it (who, when), and a
`note` carrying the description for analysts. Every object of a seizure carries the TLP 2.0 marking of
the record's `tlp` and a statement marking of its handling code. Ids are derived from the record key,
so that exporting a record again names the same objects (a newer version is a newer `modified`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator

import stix2
from stix2 import properties as p

from rilo_node.core.errors import ValidationError

SEIZURE_SCO = "x-rilo-seizure"
SCHEMA = "https://github.com/rilo-net/rilo-node/blob/main/docs/stix-mapping.md"
# Fixed: the time the extension and the project identity were defined.
DEFINED = "2026-12-01T00:00:00.000Z"


def _uuid(*parts: str) -> str:
    """A UUIDv4-shaped id from a hash of `parts`: the same record always gets the same ids."""
    digest = bytearray(hashlib.sha256("\x00".join(("rilo-net/stix", *parts)).encode()).digest()[:16])
    return str(uuid.UUID(bytes=bytes(digest), version=4))


PROJECT_IDENTITY = "identity--" + _uuid("project")
EXTENSION_ID = "extension-definition--" + _uuid("extension", SEIZURE_SCO)

# TLP 2.0 in STIX 2.1: the marking definitions published with the OASIS TLP 2.0 extension.
TLP_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP_MARKINGS = {
    "CLEAR": ("marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "clear"),
    "GREEN": ("marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "green"),
    "AMBER": ("marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "amber"),
    "AMBER_STRICT": ("marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "amber+strict"),
    "RED": ("marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "red"),
}
TLP_OF_MARKING = {mid: tlp for tlp, (mid, _) in TLP_MARKINGS.items()}

HANDLING_TEXT = {
    "H0": "use for enforcement purposes only",
    "H1": "not for judicial use without the origin's permission",
    "H2": "no onward dissemination without the origin's permission",
    "H3": "other restrictions",
}
HANDLING_PREFIX = "RILO Net handling "

_CASE = ("case_ref", "seizure_date", "country", "customs_office", "location_type", "direction", "detection",
         "conveyance", "concealment", "departure_country", "transit_countries", "destination_country", "ecommerce",
         "description")


@stix2.v21.CustomObservable(SEIZURE_SCO, [
    ("origin", p.StringProperty(required=True)),
    ("record_id", p.StringProperty(required=True)),
    ("record_version", p.IntegerProperty(required=True)),
    ("case_reference", p.StringProperty()),  # case_ref: STIX reserves names ending in _ref
    ("seizure_date", p.StringProperty(required=True)),
    ("country", p.StringProperty(required=True)),
    ("customs_office", p.StringProperty()),
    ("location_type", p.StringProperty()),
    ("direction", p.StringProperty()),
    ("detection", p.StringProperty()),
    ("conveyance", p.StringProperty()),
    ("concealment", p.StringProperty()),
    ("departure_country", p.StringProperty()),
    ("transit_countries", p.ListProperty(p.StringProperty)),
    ("destination_country", p.StringProperty()),
    ("ecommerce", p.BooleanProperty()),
    ("items", p.ListProperty(p.DictionaryProperty, required=True)),
    ("description", p.StringProperty()),
    ("evaluation", p.DictionaryProperty()),
    ("annex", p.DictionaryProperty()),
], ["origin", "record_id", "record_version"], extension_name=EXTENSION_ID)
class SeizureObservable:
    """The CEN case: the fields of docs/protocol.md#seizure-fields, enum values as their names."""


def _tlp_marking(tlp: str) -> stix2.v21.MarkingDefinition:
    mid, level = TLP_MARKINGS[tlp]
    return stix2.v21.MarkingDefinition(
        id=mid, created="2022-10-01T00:00:00.000Z", name="TLP:" + level.upper(),
        extensions={TLP_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": level}})


def _handling_marking(handling: str, note: str) -> stix2.v21.MarkingDefinition:
    text = f"{HANDLING_PREFIX}{handling}: {HANDLING_TEXT[handling]}" + (f": {note}" if note else "")
    return stix2.v21.MarkingDefinition(
        id="marking-definition--" + _uuid("handling", handling, note), created=DEFINED, created_by_ref=PROJECT_IDENTITY,
        name=f"{HANDLING_PREFIX}{handling}", definition_type="statement", definition={"statement": text})


def _identity(node: str, created: str) -> stix2.v21.Identity:
    return stix2.v21.Identity(id="identity--" + _uuid("node", node), name=node, identity_class="organization",
                              description=f"RILO Net node {node}", created=DEFINED, modified=DEFINED)


def _stamp(value: str) -> str:
    # RFC 3339 with a Z, as STIX wants (the store writes +00:00 or Z).
    return value.replace("+00:00", "Z") if value else DEFINED


def _base_objects() -> list:
    project = stix2.v21.Identity(id=PROJECT_IDENTITY, name="RILO Net", identity_class="system",
                                 description="the RILO Net software (exports of its nodes)",
                                 created=DEFINED, modified=DEFINED)
    extension = stix2.v21.ExtensionDefinition(
        id=EXTENSION_ID, created_by_ref=PROJECT_IDENTITY, created=DEFINED, modified=DEFINED,
        name="RILO Net seizure", description="A customs seizure (CEN case) of RILO Net: " + SCHEMA,
        schema=SCHEMA, version="1.0.0", extension_types=["new-sco"])
    return [project, extension]


def seizure_objects(record: dict, *, with_annex: bool) -> list:
    """The STIX objects of one seizure (a `records export` line with a body), markings included."""
    body, policy = record["body"], record.get("policy") or {}
    origin, rid, version = record["origin"], record["record_id"], record["version"]
    created = _stamp(record.get("created_at", ""))
    markings = []
    tlp = policy.get("tlp")
    if tlp:
        markings.append(_tlp_marking(tlp))
    markings.append(_handling_marking(policy.get("handling") or "H0", policy.get("handling_note") or ""))
    refs = [m.id for m in markings]
    fields = {k: body[k] for k in _CASE if k in body and body[k] not in ("", None, [])}
    if "case_ref" in fields:
        fields["case_reference"] = fields.pop("case_ref")
    if body.get("evaluation"):
        fields["evaluation"] = body["evaluation"]
    if with_annex and record.get("annex"):
        fields["annex"] = record["annex"]
    sco = SeizureObservable(origin=origin, record_id=rid, record_version=version,
                            items=list(body.get("items", [])), object_marking_refs=refs, **fields)
    who = _identity(origin, created)
    day = f"{body['seizure_date']}T00:00:00Z"
    reference = {"source_name": "rilo-net", "external_id": f"{origin}/{rid}/v{version}"}
    observed = stix2.v21.ObservedData(
        id="observed-data--" + _uuid("observed", origin, rid), created_by_ref=who.id, created=created,
        modified=created, first_observed=day, last_observed=day, number_observed=1, object_refs=[sco.id],
        object_marking_refs=refs, external_references=[reference], allow_custom=True)
    sections = sorted({i.get("section", "") for i in body.get("items", [])})
    categories = sorted({i.get("category", "") for i in body.get("items", [])})
    abstract = (f"Seizure {origin}/{rid}: {', '.join(categories)} ({', '.join(sections)}) in "
                f"{body.get('country', '')} on {body['seizure_date']}")
    note = stix2.v21.Note(
        id="note--" + _uuid("note", origin, rid), created_by_ref=who.id, created=created, modified=created,
        abstract=abstract, content=body.get("description") or abstract, authors=[origin],
        object_refs=[observed.id], object_marking_refs=refs, external_references=[reference])
    return [who, *markings, sco, observed, note]


def bundle_json(records: Iterable[dict], *, with_annex: bool = False) -> str:
    """A STIX 2.1 bundle of the seizures (each object once), as indented JSON."""
    seen: dict[str, object] = {}
    for obj in _base_objects():
        seen[obj.id] = obj
    for record in records:
        for obj in seizure_objects(record, with_annex=with_annex):
            seen.setdefault(obj.id, obj)
    bundle = stix2.v21.Bundle(objects=list(seen.values()), id="bundle--" + str(uuid.uuid4()), allow_custom=True)
    return bundle.serialize(pretty=True, ensure_ascii=False)


# -- import -----------------------------------------------------------------------------------------

# Objects that give context to seizures and are read, not imported.
_CONTEXT = ("identity", "marking-definition", "extension-definition", "observed-data", "note", "language-content")


def bundle_seizures(text: str) -> Iterator[tuple[str, object]]:
    """(where, seizure JSON or ValidationError) for each object of a STIX bundle that maps to a seizure,
    or that cannot be mapped and is refused: `where` is "object N (its id)". Context objects
    (identities, markings, the extension, observed-data reporting a seizure, notes) are read silently.
    A text that is not a bundle raises ValidationError."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError("", f"not JSON: {exc.msg} (line {exc.lineno})") from None
    if not isinstance(data, dict) or data.get("type") != "bundle" or not isinstance(data.get("objects"), list):
        raise ValidationError("", "not a STIX 2.1 bundle: expected an object with \"type\": \"bundle\" and \"objects\"")
    objects = data["objects"]
    by_id = {o.get("id"): o for o in objects if isinstance(o, dict)}
    seizure_ids = {o.get("id") for o in objects if isinstance(o, dict) and o.get("type") == SEIZURE_SCO}
    for n, raw in enumerate(objects, 1):
        where = f"object {n} ({raw.get('id', 'no id')})" if isinstance(raw, dict) else f"object {n}"
        if not isinstance(raw, dict):
            yield where, ValidationError("", "not a JSON object")
            continue
        kind = raw.get("type")
        if kind == SEIZURE_SCO:
            try:
                obj = stix2.parse(raw, allow_custom=True, version="2.1")
            except (stix2.exceptions.STIXError, ValueError) as exc:
                yield where, ValidationError("", f"not a valid {SEIZURE_SCO}: {exc}")
                continue
            yield where, _seizure_of(obj, by_id)
        elif kind == "observed-data":
            refs = raw.get("object_refs") or []
            if not any(r in seizure_ids for r in refs):
                yield where, ValidationError("object_refs", f"observed-data reports no {SEIZURE_SCO}: "
                                                            "nothing in it maps to a seizure")
        elif kind in _CONTEXT:
            continue
        else:
            yield where, ValidationError("type", f"a {kind!r} object does not map to a seizure")


def _seizure_of(obj, by_id: dict) -> dict | ValidationError:
    data: dict = {k: obj[k] for k in (*_CASE, "items", "evaluation", "annex") if k in obj}
    if "case_reference" in obj:
        data["case_ref"] = obj["case_reference"]
    data["items"] = [dict(i) for i in data.get("items", [])]
    if "evaluation" in data:
        data["evaluation"] = dict(data["evaluation"])
    if "annex" in data:
        data["annex"] = json.loads(json.dumps(dict(data["annex"]), default=dict))
    data["record_id"] = obj["record_id"]
    policy: dict = {}
    for ref in obj.get("object_marking_refs", []):
        if ref in TLP_OF_MARKING:
            policy["tlp"] = TLP_OF_MARKING[ref]
            continue
        marking = by_id.get(ref) or {}
        statement = ((marking.get("definition") or {}).get("statement") or "") if isinstance(marking, dict) else ""
        if statement.startswith(HANDLING_PREFIX):
            code = statement[len(HANDLING_PREFIX):len(HANDLING_PREFIX) + 2]
            policy["handling"] = code
            rest = statement[len(HANDLING_PREFIX) + 4 + len(HANDLING_TEXT.get(code, "")):]
            if rest.startswith(": "):
                policy["handling_note"] = rest[2:]
        elif ref not in by_id:
            return ValidationError("object_marking_refs", f"marking {ref} is not in the bundle")
        else:
            return ValidationError("object_marking_refs", f"marking {ref} is neither TLP 2.0 nor a RILO Net "
                                                          "handling code: it cannot be kept")
    if policy.get("tlp") == "RED":
        return ValidationError("object_marking_refs", "TLP:RED names no recipients in STIX: import it with a "
                                                      "policy naming them (seizure add with share.nodes)")
    if policy:
        data["policy"] = policy
    return data
