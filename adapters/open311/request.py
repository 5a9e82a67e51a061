"""``POST requests.{format}``: GeoReport v2 arguments -> one :class:`Report`.

Arguments arrive as ``application/x-www-form-urlencoded`` pairs (the spec) or as a JSON
object with the same names (``attribute`` may then be an object); both become the same
list of pairs first, so there is one set of rules:

* ``service_code`` required (400) and known (404); ``jurisdiction_id`` optional, but if
  given it must be ours (404).
* a location: ``lat`` and ``long`` together, or ``address_string``, or ``address_id`` (400).
* ``attribute[code]=v`` / ``attribute[code][]=v``: the service definition's attributes
  (required ones present, list values among the defined keys, numbers numeric, datetimes
  ISO 8601) plus two of ours, ``attribute[anonymous]`` and ``attribute[confidential]``
  (``true``/``false``, codes matched case-insensitively). Attributes the service does not
  define are kept in the report's raw payload, not refused: deployed clients (FixMyStreet
  among them) send extra ones such as ``attribute[report_url]``, and the spec asks that
  they work unchanged. No attribute value has a length limit of its own: FixMyStreet puts
  the whole report detail in ``attribute[description]``, and every value is already
  bounded by the body limit (``[gateway] max_body_bytes``, 413) and the number of
  attributes by ``MAX_ATTRIBUTES``.
* ``description`` up to 4,000 characters (the spec's limit). It is optional in the spec; a
  report without one is filed with the service name as its text (a pothole at a
  location is a complete report).
* ``first_name``/``last_name``/``email``/``phone``/``device_id``/``account_id`` are the
  reporter; ``media_url`` an attachment. Per the spec an empty value equals an absent one.

Every problem is an :class:`~adapters.open311.format.Open311Error`; the api_key is
checked by the adapter and never copied into the stored report.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from pydantic import ValidationError

from adapters.open311.config import (
    RESERVED_ATTRIBUTES,
    Open311Attribute,
    Open311Config,
    Open311Service,
)
from adapters.open311.format import Open311Error
from normalizer import Attachment, Channel, EmptyTextError, Location, Report, Reporter

Pairs = list[tuple[str, str]]

MAX_DESCRIPTION = 4000
FLAG_ATTRIBUTES = RESERVED_ATTRIBUTES
MAX_ATTRIBUTES = 50
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
_TRUE = frozenset({"true", "1", "yes", "on", "ya"})
_FALSE = frozenset({"false", "0", "no", "off", "tidak"})
_SECRET_FIELDS = frozenset({"api_key"})


def form_pairs(body: bytes) -> Pairs:
    """Decode an urlencoded body (UTF-8, as the spec requires)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Open311Error(400, "request body is not UTF-8") from None
    try:
        return parse_qsl(
            text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=500
        )
    except ValueError as exc:
        raise Open311Error(400, f"request body is not form-encoded: {exc}") from None


def _scalar(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    if value is None:
        return ""
    raise Open311Error(400, f"{name} must be a string, number or boolean")


def json_pairs(body: bytes) -> Pairs:
    """The same pairs from a JSON object (``attribute`` may be an object of code -> value)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Open311Error(400, "request body is not UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise Open311Error(400, "request body must be a JSON object")
    pairs: Pairs = []
    for key, value in data.items():
        if key == "attribute" and isinstance(value, dict):
            for code, item in value.items():
                if isinstance(item, list):
                    pairs.extend((f"attribute[{code}][]", _scalar(code, v)) for v in item)
                else:
                    pairs.append((f"attribute[{code}]", _scalar(code, item)))
        else:
            pairs.append((key, _scalar(key, value)))
    return pairs


class _Args:
    """Single-valued lookups with the spec's "empty equals absent" rule."""

    def __init__(self, pairs: Pairs) -> None:
        self.pairs = pairs

    def get(self, name: str) -> str | None:
        for key, value in self.pairs:
            if key == name:
                value = value.strip()
                return value or None
        return None

    def attributes(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for key, value in self.pairs:
            match = _ATTRIBUTE.match(key)
            if match is None:
                if key.startswith("attribute"):
                    raise Open311Error(400, f"{key} is not of the form attribute[code]")
                continue
            code = match.group(1)
            # our flags are matched case-insensitively: "Anonymous" must not be lost
            code = code.lower() if code.lower() in FLAG_ATTRIBUTES else code
            if value.strip():
                found.setdefault(code, []).append(value.strip())
        if len(found) > MAX_ATTRIBUTES:
            raise Open311Error(400, f"more than {MAX_ATTRIBUTES} attributes")
        return found


def _flag(code: str, values: list[str]) -> bool:
    value = values[-1].lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise Open311Error(400, f"attribute[{code}] must be true or false")


def _check_attribute(definition: Open311Attribute, values: list[str]) -> None:
    code = definition.code
    keys = {str(v.get("key")) for v in definition.values}
    if definition.datatype == "singlevaluelist":
        if len(values) != 1 or values[0] not in keys:
            raise Open311Error(400, f"attribute[{code}] must be one of: {', '.join(sorted(keys))}")
    elif definition.datatype == "multivaluelist":
        bad = [v for v in values if v not in keys]
        if bad:
            raise Open311Error(400, f"attribute[{code}] has unknown values: {', '.join(bad)}")
    elif definition.datatype == "number":
        try:
            [float(v) for v in values]
        except ValueError:
            raise Open311Error(400, f"attribute[{code}] must be a number") from None
    elif definition.datatype == "datetime":
        try:
            [datetime.fromisoformat(v.replace("Z", "+00:00")) for v in values]
        except ValueError:
            raise Open311Error(400, f"attribute[{code}] must be an ISO 8601 datetime") from None


def _attributes(service: Open311Service, found: dict[str, list[str]]) -> dict[str, list[str]]:
    defined = {a.code: a for a in service.attributes if a.variable}
    for code, values in found.items():
        if code in FLAG_ATTRIBUTES:
            continue
        definition = defined.get(code)
        if definition is not None:
            _check_attribute(definition, values)
    missing = [c for c, a in defined.items() if a.required and c not in found]
    if missing:
        raise Open311Error(400, f"required attribute missing: attribute[{missing[0]}]")
    return {c: v for c, v in found.items() if c not in FLAG_ATTRIBUTES}


def _float(args: _Args, name: str, low: float, high: float) -> float:
    raw = args.get(name)
    assert raw is not None
    try:
        value = float(raw)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number") from None
    if not low <= value <= high:
        raise Open311Error(400, f"{name} must be between {low:g} and {high:g}")
    return value


def _location(args: _Args) -> Location:
    has_lat, has_long = args.get("lat") is not None, args.get("long") is not None
    if has_lat != has_long:
        raise Open311Error(400, "lat and long must be sent together")
    address = args.get("address_string")
    if not has_lat and address is None and args.get("address_id") is None:
        raise Open311Error(
            400, "a location is required: lat and long, address_string or address_id"
        )
    if address is not None and len(address) > 500:
        raise Open311Error(400, "address_string is longer than 500 characters")
    return Location(
        lat=_float(args, "lat", -90, 90) if has_lat else None,
        lon=_float(args, "long", -180, 180) if has_long else None,
        address=address,
    )


def _reporter(args: _Args) -> Reporter:
    name = " ".join(p for p in (args.get("first_name"), args.get("last_name")) if p) or None
    account = args.get("account_id")
    try:
        return Reporter(
            name=name,
            email=args.get("email"),
            phone=args.get("phone"),
            device_id=args.get("device_id"),
            # namespaced: an Open311 client's account ids are its own, not our web users'
            user_id=f"open311:{account}" if account else None,
        )
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False)[0]
        field = str(err["loc"][0]) if err["loc"] else "reporter"
        field = {"name": "first_name", "user_id": "account_id"}.get(field, field)
        raise Open311Error(400, f"{field}: {err['msg']}") from None


def service_for(config: Open311Config, code: str) -> Open311Service | None:
    for service in config.services:
        if service.service_code == code:
            return service
    return None


def check_jurisdiction(config: Open311Config, jurisdiction_id: str | None) -> None:
    """The endpoint serves one jurisdiction, so the argument is optional; a wrong one is 404."""
    if jurisdiction_id and jurisdiction_id.strip() != config.jurisdiction_id:
        raise Open311Error(404, f"jurisdiction_id {jurisdiction_id.strip()!r} not found")


def build_report(pairs: Pairs, config: Open311Config, *, adapter: str) -> Report:
    """Validate GeoReport arguments and build the report (raises :class:`Open311Error`)."""
    args = _Args(pairs)
    check_jurisdiction(config, args.get("jurisdiction_id"))
    code = args.get("service_code")
    if code is None:
        raise Open311Error(400, "service_code was not provided")
    service = service_for(config, code)
    if service is None:
        raise Open311Error(404, f"service_code {code!r} not found")
    found = args.attributes()
    attributes = _attributes(service, found)
    location = _location(args)
    description = args.get("description")
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, f"description is longer than {MAX_DESCRIPTION} characters")
    attachments = []
    media_url = args.get("media_url")
    if media_url is not None:
        if not media_url.startswith(("https://", "http://")) or len(media_url) > 2000:
            raise Open311Error(400, "media_url must be an http(s) URL")
        attachments.append(Attachment(url=media_url))
    raw: dict[str, Any] = {
        "open311": {k: v for k, v in pairs if k not in _SECRET_FIELDS and not _ATTRIBUTE.match(k)},
        "attributes": attributes,
        "adapter": adapter,
    }
    try:
        return Report(
            channel=Channel.OPEN311,
            transport="http",
            reporter=_reporter(args),
            text=description or service.service_name,
            title=service.service_name,
            category=service.service_code,
            location=location,
            attachments=attachments,
            anonymous=_flag("anonymous", found["anonymous"]) if "anonymous" in found else False,
            confidential=_flag("confidential", found["confidential"])
            if "confidential" in found
            else False,
            raw=raw,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        if isinstance(err.get("ctx", {}).get("error"), EmptyTextError):
            raise Open311Error(400, "description is empty after clean-up") from None
        loc = ".".join(str(p) for p in err["loc"])
        raise Open311Error(400, f"{loc or 'request'}: {err['msg']}") from None
