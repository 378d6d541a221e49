"""The JSON API's contract: marshmallow schemas that validate what arrives and generate the OpenAPI document.

Why flask-smorest with marshmallow (rather than pydantic with an OpenAPI add-on): it is a Flask extension kept by
the marshmallow maintainers, it reads query strings, JSON, forms and uploads through webargs with one schema per
input, and it writes the OpenAPI 3 document from those same schemas, so the document cannot drift from the
parser. Responses are dumped through their schemas too, which makes each answer a whitelist of fields.

Every message a client can see is bilingual: fields carry Indonesian/English messages (`Bilingual`), and a
failed validation becomes the one DomainError the error table answers (400, naming the field). The pin (lon,
lat) is validated as one thing by the same check the domain uses, so a non-number, NaN or off-Earth pin is one
error on `lon`; a missing or null coordinate names its own field.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate, validates_schema
from webargs.flaskparser import FlaskParser

from aduan.channels import DESK_CHANNELS
from aduan.errors import DomainError, Forbidden
from aduan.intake import Submission
from aduan.permissions import StaffUser
from aduan.queries.nearby import LIMIT_DEFAULT, LIMIT_MAX, RADIUS_DEFAULT, RADIUS_MAX, STATUS_FILTERS, NearbyQuery
from aduan.statuses import STATUSES
from aduan.text import MAX_DESCRIPTION, yes_no
from app import current_settings
from geo.errors import GeoError
from geo.routing import check_lon_lat


class Bilingual(str):
    """An error message: the string is Indonesian, `.en` the English; survives marshmallow's formatting."""

    en: str

    def __new__(cls, message_id: str, message_en: str) -> Bilingual:
        made = super().__new__(cls, message_id)
        made.en = message_en
        return made

    def format(self, *args: object, **kwargs: object) -> Bilingual:
        return Bilingual(str.format(self, *args, **kwargs), self.en.format(*args, **kwargs))


def _messages(name: str) -> dict[str, Bilingual]:
    return {"required": Bilingual(f"«{name}» wajib diisi.", f"«{name}» is required."),
            "null": Bilingual(f"«{name}» tidak boleh kosong.", f"«{name}» must not be null."),
            "invalid": Bilingual(f"«{name}» tidak valid.", f"«{name}» is not valid."),
            "too_large": Bilingual(f"«{name}» terlalu besar.", f"«{name}» is too large.")}


def _number(name: str, **kw: object) -> fields.Float:
    return fields.Float(error_messages=_messages(name) | {
        "invalid": Bilingual(f"«{name}» harus berupa angka.", f"«{name}» must be a number."),
        "special": Bilingual(f"«{name}» tidak boleh NaN/Infinity.", f"«{name}» must be a finite number.")}, **kw)


def _text(name: str, max_length: int, **kw: object) -> fields.String:
    too_long = Bilingual(f"«{name}» terlalu panjang (maksimal {{max}} karakter).",
                         f"«{name}» is too long (at most {{max}} characters).")
    return fields.String(validate=validate.Length(max=max_length, error=too_long), error_messages=_messages(name),
                         **kw)


IDEMPOTENCY_KEY_MAX = 100  # in the body or the Idempotency-Key header


class YesNo(fields.Boolean):
    """A boolean that also reads the yes/no words people type (aduan.text.yes_no: ya, tidak, on, 1…). Any
    other value is refused rather than read as "no": for `anonymous` that would disclose the reporter."""

    def _deserialize(self, value: object, attr: str | None, data: Mapping | None, **kwargs: object) -> bool:
        answer = yes_no(value)
        if answer is not None:
            return answer
        raise ValidationError(Bilingual(f"«{attr}» harus ya atau tidak (ya/tidak, true/false, 1/0).",
                                        f"«{attr}» must be yes or no (ya/tidak, true/false, 1/0)."))


def city_zone() -> ZoneInfo:
    """The city's time zone, from the settings."""
    return ZoneInfo(current_settings().timezone)


def city_iso(value: dt.datetime | None, zone: ZoneInfo | None = None) -> str | None:
    """A moment as ISO 8601 with the city's offset (e.g. +08:00 for WITA), to the second; in `zone` when given
    (the public map writes the same in SQL, and its tests compare the two in several zones)."""
    if value is None:
        return None
    return value.astimezone(zone or city_zone()).isoformat(timespec="seconds")


class CityTime(fields.DateTime):
    """A datetime field written as `city_iso` does."""

    def _serialize(self, value: dt.datetime | None, attr: str | None, obj: object, **kwargs: object) -> str | None:
        return city_iso(value)


class ReceivedAt(fields.AwareDateTime):
    """A moment of receipt: ISO 8601; one without an offset is the city's local time (what a clerk types)."""

    def __init__(self, **kw: object) -> None:
        super().__init__(format="iso", error_messages=_messages("received_at") | {"invalid": Bilingual(
            "«received_at» bukan tanggal/waktu ISO 8601.", "«received_at» is not an ISO 8601 date-time.")}, **kw)

    def _deserialize(self, value: object, attr: str | None, data: Mapping | None, **kwargs: object) -> dt.datetime:
        self.default_timezone = ZoneInfo(current_settings().timezone)
        return super()._deserialize(value, attr, data, **kwargs)


LON = {"description": "Longitude (WGS 84)", "minimum": -180, "maximum": 180}
LAT = {"description": "Latitude (WGS 84)", "minimum": -90, "maximum": 90}


class _Pin(Schema):
    """A point given as lon/lat (WGS 84); null, NaN or off-Earth values are one error on `lon` (the pin)."""

    # NaN is loaded (not refused field by field) so that a pin off the Earth gets the one message on `lon`.
    lon = _number("lon", required=True, allow_nan=True, metadata=LON)
    lat = _number("lat", required=True, allow_nan=True, metadata=LAT)

    @validates_schema
    def _on_earth(self, data: dict, **_: object) -> None:
        if ("lon" in data) != ("lat" in data):
            raise ValidationError(Bilingual("Bujur (lon) dan lintang (lat) harus diberikan bersama.",
                                            "Give longitude (lon) and latitude (lat) together."), "lon")
        if "lon" in data:
            _check_pin(data.get("lon"), data.get("lat"))


def _check_pin(lon: object, lat: object) -> None:
    try:
        check_lon_lat(lon, lat)
    except GeoError as err:
        raise ValidationError(Bilingual(err.message_id, err.message_en), "lon") from None


class NewComplaint(_Pin):
    """A complaint as a citizen app or integration sends it (JSON, or a form with `photos` files)."""

    class Meta:
        unknown = EXCLUDE  # a tolerant reader: extra fields of a client are ignored, never stored

    @pre_load
    def _empty_is_absent(self, data: Mapping, **_: object) -> dict:
        """A form sends its empty inputs as ""; they mean "not given"."""
        if not isinstance(data, Mapping):
            raise ValidationError(Bilingual("Isi permintaan harus berupa objek JSON atau formulir.",
                                            "The request body must be a JSON object or a form."), "_schema")
        return {k: v for k, v in data.items() if v != ""}

    # Checked by intake, not here: a category missing because every one was greyed out at a pin outside the city
    # is answered with where the pin is, which only the domain knows.
    category = _text("category", 60, load_default="", metadata={
        "description": "Category code (Open311 service_code); required"})
    description = _text("description", MAX_DESCRIPTION, required=True,
                        metadata={"description": "The problem", "minLength": 1})
    accuracy_m = _number("accuracy_m", allow_none=True, metadata={"description": "GPS accuracy in metres"})
    address = _text("address", 500, allow_none=True, metadata={"description": "Address or landmark"})
    name = _text("name", 200, allow_none=True, metadata={"description": "Reporter's name (never shown publicly)"})
    phone = _text("phone", 40, allow_none=True, metadata={"description": "Phone/WhatsApp (never shown publicly)"})
    email = _text("email", 200, allow_none=True, metadata={"description": "E-mail (never shown publicly)"})
    anonymous = YesNo(load_default=False, metadata={"description": "Hide the reporter's identity"})
    idempotency_key = _text("idempotency_key", IDEMPOTENCY_KEY_MAX, allow_none=True,
                            metadata={"description": "Retries with the same key return the first ticket"})
    device_id = _text("device_id", 200, allow_none=True, metadata={"description": "The app's device id"})
    lang = fields.String(load_default="id", validate=validate.OneOf(("id", "en"), error=Bilingual(
        "lang harus 'id' atau 'en'.", "lang must be 'id' or 'en'.")),
        metadata={"description": "The reporter's language: messages to them use it"})
    # The desk's fields: accepted only from a desk session or a channel gateway's API key (403 otherwise).
    channel = fields.String(validate=validate.OneOf(DESK_CHANNELS, error=Bilingual(
        f"Kanal harus salah satu dari: {', '.join(DESK_CHANNELS)}.",
        f"The channel must be one of: {', '.join(DESK_CHANNELS)}.")),
        metadata={"description": "Desk/gateway only: the channel it arrived through"})
    channel_ref = _text("channel_ref", 300, allow_none=True, metadata={
        "description": "Desk/gateway only: the channel's id of the message (WhatsApp message id, post URL, LAPOR! "
                       "tracking id); the same reference twice is one ticket"})
    received_at = ReceivedAt(allow_none=True, metadata={
        "description": "Desk/gateway only: when the city received it (clocks start then); no offset = city time"})

    @validates_schema
    def _channel_with_its_fields(self, data: dict, **_: object) -> None:
        if (data.get("channel_ref") or data.get("received_at")) and not data.get("channel"):
            raise ValidationError(Bilingual("Sebutkan kanalnya (channel).", "Name the channel."), "channel")


DESK_FIELDS = ("channel", "channel_ref", "received_at")
PHOTO_PARTS = {"photos": {"contentType": "image/jpeg, image/png, image/webp"}}  # multipart: each photo a file part


class PhotoUpload(Schema):
    """The photo parts of a multipart body; combined with the complaint's fields, so it allows other members."""

    class Meta:
        unknown = EXCLUDE

    photos = fields.List(fields.Raw(metadata={"type": "string", "format": "binary"}),
                         metadata={"description": "Up to 3 photos (JPEG, PNG or WebP)", "maxItems": 3})


class PointQuery(_Pin):
    """A point in the query string."""


class OptionalPointQuery(_Pin):
    """lon/lat in the query string, both or neither."""

    lon = _number("lon", allow_nan=True, metadata=LON | {"description": "Longitude (WGS 84); with lat, or neither"})
    lat = _number("lat", allow_nan=True, metadata=LAT | {"description": "Latitude (WGS 84); with lon, or neither"})


class CategoryPointQuery(PointQuery):
    category = _text("category", 60, required=True, metadata={"description": "Category code"})


class MapPointsQuery(Schema):
    status = fields.String(validate=validate.OneOf(("open", "closed"), error=Bilingual(
        "Status harus 'open' atau 'closed'.", "status must be 'open' or 'closed'.")),
        metadata={"description": "open or closed"})


_RADIUS = Bilingual(f"Parameter radius_m harus angka antara 1 dan {RADIUS_MAX:g}.",
                    f"Parameter radius_m must be a number between 1 and {RADIUS_MAX:g}.")
_LIMIT = Bilingual(f"Parameter limit harus bilangan bulat antara 1 dan {LIMIT_MAX}.",
                   f"Parameter limit must be a whole number between 1 and {LIMIT_MAX}.")


class NearbyArgs(PointQuery):
    """Tickets near a point for staff: how far, how many, which."""

    radius_m = fields.Float(load_default=RADIUS_DEFAULT, validate=validate.Range(1, RADIUS_MAX, error=_RADIUS),
                            error_messages={"invalid": _RADIUS, "special": _RADIUS})
    limit = fields.Integer(load_default=LIMIT_DEFAULT, validate=validate.Range(1, LIMIT_MAX, error=_LIMIT),
                           error_messages={"invalid": _LIMIT})
    skpd = fields.String(load_default="mine", metadata={"description": "An SKPD code, 'mine' (default) or 'all'"})
    category = fields.String(load_default=None, metadata={"description": "A category code"})
    status = fields.String(load_default="open", validate=validate.OneOf(STATUS_FILTERS, error=Bilingual(
        f"Status tidak dikenal; pilih: {', '.join(STATUS_FILTERS)}.",
        f"Unknown status; choose: {', '.join(STATUS_FILTERS)}.")))
    overdue = YesNo(load_default=False)


# --- answers ------------------------------------------------------------------------------------------------

class Routing(Schema):
    """Where the complaint goes and why (the rule that fired, flags for staff review)."""

    kelurahan_code = fields.String()
    kelurahan_name = fields.String()
    kecamatan_code = fields.String(allow_none=True)
    kecamatan_name = fields.String(allow_none=True)
    kelurahan_rule = fields.String(metadata={"enum": ["covers", "overlap", "snapped"]})
    service_area_name = fields.String(allow_none=True)
    skpd_code = fields.String()
    skpd_name = fields.String()
    skpd_rule = fields.String(metadata={"enum": ["service_area", "category_default"]})
    flags = fields.List(fields.String(metadata={"enum": ["overlap", "snapped", "near_border"]}))
    snapped_m = fields.Float(allow_none=True)
    explanation = fields.String()
    explanation_en = fields.String()


class Created(Schema):
    tracking_code = fields.String()
    created = fields.Boolean(metadata={"description": "false when an idempotent retry returned the first ticket"})
    url = fields.String(metadata={"description": "The public tracking page"})
    routing = fields.Nested(Routing)
    explanation = fields.String()
    explanation_en = fields.String()


class _Location(Schema):
    lon = fields.Float()
    lat = fields.Float()


class _Skpd(Schema):
    code = fields.String()
    name = fields.String()


class _PublicRouting(Schema):
    rule = fields.String()
    skpd_rule = fields.String()
    flags = fields.List(fields.String())
    explanation = fields.String()
    explanation_en = fields.String()


class _HistoryStep(Schema):
    kind = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    created_at = CityTime()


class Complaint(Schema):
    """A complaint's public view; a confidential one shows only its status, dates and agency (others null)."""

    tracking_code = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    category = fields.String()
    category_name = fields.String()
    category_name_en = fields.String()
    description = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    location = fields.Nested(_Location, allow_none=True)
    kelurahan = fields.String(allow_none=True)
    kecamatan = fields.String(allow_none=True)
    skpd = fields.Nested(_Skpd)
    routing = fields.Nested(_PublicRouting, allow_none=True)
    created_at = CityTime()
    updated_at = CityTime()
    followup_due_at = CityTime()
    handling_due_at = CityTime()
    followed_up_at = CityTime(allow_none=True)
    resolved_at = CityTime(allow_none=True)
    closed_at = CityTime(allow_none=True)
    supporters = fields.Integer()
    duplicate_of = fields.String(allow_none=True)
    photos = fields.List(fields.String(), metadata={"description": "URLs of public photos"})
    history = fields.List(fields.Nested(_HistoryStep))


class Support(Schema):
    tracking_code = fields.String()
    supporters = fields.Integer()


class Category(Schema):
    """A category; at a point also the SKPD that would receive it there."""

    code = fields.String()
    name_id = fields.String()
    name_en = fields.String()
    description_id = fields.String(allow_none=True)
    description_en = fields.String(allow_none=True)
    group_name = fields.String(allow_none=True)
    confidential = fields.Boolean()
    followup_days = fields.Integer()
    handling_days = fields.Integer()
    skpd_code = fields.String()
    skpd_name = fields.String()
    kelurahan_name = fields.String(metadata={"description": "At a point: the kelurahan it falls in"})
    flags = fields.List(fields.String(), metadata={"description": "At a point: routing flags"})


class Categories(Schema):
    categories = fields.List(fields.Nested(Category))
    outside_city = fields.Boolean(metadata={"description": "At a point: true when it lies outside the city"})
    message = fields.String(metadata={"description": "Why nothing can be reported here (Indonesian)"})
    message_en = fields.String()


class Duplicate(Schema):
    tracking_code = fields.String()
    description = fields.String()
    status = fields.String()
    created_at = CityTime()
    supporters = fields.Integer()
    distance_m = fields.Integer()
    lon = fields.Float()
    lat = fields.Float()
    radius_m = fields.Integer()


class Duplicates(Schema):
    complaints = fields.List(fields.Nested(Duplicate))


class PhotoLocation(Schema):
    lon = fields.Float(allow_none=True)
    lat = fields.Float(allow_none=True)


class FeatureCollection(Schema):
    """GeoJSON (RFC 7946)."""

    type = fields.String(metadata={"enum": ["FeatureCollection"]})
    features = fields.List(fields.Dict())
    numberReturned = fields.Integer()
    center = fields.List(fields.Float())
    radius_m = fields.Float()


# --- parsing ------------------------------------------------------------------------------------------------

def invalid(messages: object, field: str | None = None) -> DomainError:
    """The first problem in marshmallow's error messages as the domain's bilingual 400."""
    while isinstance(messages, dict):
        key = next(iter(messages))
        field = key if isinstance(key, str) and key != "_schema" else field
        messages = messages[key]
    message = messages[0] if isinstance(messages, list) and messages else messages
    if isinstance(message, Bilingual):
        return DomainError(str(message), message.en, field=field)
    return DomainError(f"Isian «{field}» tidak valid: {message}", f"Invalid «{field}»: {message}", field=field)


def load(schema: type[Schema], data: Mapping) -> dict:
    """Validate `data` (a form, query string or JSON object) with `schema`, as the API's parser does."""
    try:
        return schema().load(data.to_dict() if hasattr(data, "to_dict") else data)
    except ValidationError as err:
        raise invalid(err.messages) from None


@dataclass(frozen=True)
class Clerk:
    """Who records where a complaint came from: a desk clerk (user id) or a channel gateway (no user)."""

    scope: str  # the idempotency-key space: desk:<user id> or gateway:<client id>
    user_id: int | None
    label: str


def has_desk_fields(body: Mapping) -> bool:
    return any(body.get(f) is not None for f in DESK_FIELDS)


def submission(body: dict, photos: list[bytes], channel: str, clerk: Clerk | None = None) -> Submission:
    """A checked NewComplaint as the domain's Submission. The desk's fields need a clerk (403 otherwise, whatever
    the intake: the citizen form and the anonymous API may not back-date a ticket or claim a channel)."""
    if clerk is None:
        if has_desk_fields(body):
            raise Forbidden("Kanal, referensi dan waktu diterima hanya dapat dicatat oleh meja aduan atau gateway "
                            "kanal.", "Only the complaint desk or a channel gateway may record channel, reference "
                            "and time received.", field="channel")
        return Submission(**body, photos=photos, channel=channel)
    return Submission(**(body | {"channel": body.get("channel") or channel}), photos=photos,
                      idempotency_scope=clerk.scope, entered_by_id=clerk.user_id, entered_by_label=clerk.label)


def nearby_query(args: dict, user: StaffUser) -> NearbyQuery:
    """Checked NearbyArgs as the domain's query; the SKPD filter defaults to the user's own ("mine")."""
    skpd = args["skpd"].strip()
    return NearbyQuery(lon=args["lon"], lat=args["lat"], radius_m=args["radius_m"], limit=args["limit"],
                       skpd=user.skpd_code if skpd == "mine" else None if skpd == "all" else skpd,
                       category=(args["category"] or "").strip() or None, status=args["status"],
                       overdue=args["overdue"])


class Parser(FlaskParser):
    """webargs' parser answering through our error table instead of its own 422."""

    DEFAULT_VALIDATION_STATUS = 400

    def handle_error(self, error: ValidationError, req: object, schema: Schema, *, error_status_code: int | None,
                     error_headers: Mapping | None) -> None:
        raise invalid(error.messages)

    def _handle_invalid_json_error(self, error: Exception, req: object, *args: object, **kwargs: object) -> None:
        raise DomainError("Isi permintaan bukan JSON yang valid.", "The request body is not valid JSON.")


# --- find the place (app/api/places.py) ---------------------------------------------------------------------
# Imported here, not at the top, so that this section stays one block at the end of the module.
from aduan.places import LIMIT_DEFAULT as PLACE_LIMIT_DEFAULT  # noqa: E402
from aduan.places import LIMIT_MAX as PLACE_LIMIT_MAX  # noqa: E402
from aduan.places import MAX_QUERY as PLACE_MAX_QUERY  # noqa: E402
from aduan.places import NEAREST_DEFAULT_M, NEAREST_MAX_M  # noqa: E402

_Q = Bilingual(f"«q» harus 1 sampai {PLACE_MAX_QUERY} karakter.", f"«q» must be 1 to {PLACE_MAX_QUERY} characters.")
_PLACE_LIMIT = Bilingual(f"Parameter limit harus bilangan bulat antara 1 dan {PLACE_LIMIT_MAX}.",
                         f"Parameter limit must be a whole number between 1 and {PLACE_LIMIT_MAX}.")
_MAX_M = Bilingual(f"Parameter max_m harus angka antara 1 dan {NEAREST_MAX_M:g}.",
                   f"Parameter max_m must be a number between 1 and {NEAREST_MAX_M:g}.")


class PlaceSearchQuery(OptionalPointQuery):
    """A search: what was typed, and the map centre to rank equal matches by nearness."""

    q = fields.String(required=True, validate=validate.Length(1, PLACE_MAX_QUERY, error=_Q),
                      error_messages=_messages("q"), metadata={"description": "Name or part of it (fuzzy)"})
    limit = fields.Integer(load_default=PLACE_LIMIT_DEFAULT, validate=validate.Range(1, PLACE_LIMIT_MAX,
                           error=_PLACE_LIMIT), error_messages={"invalid": _PLACE_LIMIT},
                           metadata={"description": "How many results"})


class NearestPlaceQuery(PointQuery):
    max_m = fields.Float(load_default=NEAREST_DEFAULT_M, validate=validate.Range(1, NEAREST_MAX_M, error=_MAX_M),
                         error_messages={"invalid": _MAX_M, "special": _MAX_M},
                         metadata={"description": "Search radius in metres"})


class FoundPlace(Schema):
    """A place to pan to: its name, kind (kelurahan, kecamatan or the city's own kind) and one point."""

    name = fields.String()
    kind = fields.String(metadata={"description": "kelurahan, kecamatan or the imported kind (pasar, masjid, …)"})
    lon = fields.Float()
    lat = fields.Float()
    distance_m = fields.Float(allow_none=True, metadata={"description": "Metres from lon/lat when given"})


class Places(Schema):
    places = fields.List(fields.Nested(FoundPlace))


class NearestPlace(Schema):
    place = fields.Nested(FoundPlace, allow_none=True)
    label = fields.String(allow_none=True, metadata={"description": "e.g. «dekat Pasar Lama, 120 m»"})
    label_en = fields.String(allow_none=True, metadata={"description": "e.g. «near Pasar Lama, 120 m»"})
