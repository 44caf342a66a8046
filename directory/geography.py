"""Township boundaries as an administrator uploads them: the checks on a GeoJSON file, with no
database (directory.services.county_map_uploaded calls them).

A file is accepted when it is a FeatureCollection (RFC 7946) whose every feature is a
Polygon or MultiPolygon in longitude/latitude degrees near the county, names its township
by the official division code in `properties.division_code` (9 or 12 digits; `XZQDM`, the
field name of the land survey's division layers, is read as well), and the features cover
every township of the county once. What is kept is the geometry and the code: the other
properties are dropped."""

import json
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_BYTES = 5 * 1024 * 1024
CODE_PROPERTIES = ("division_code", "XZQDM")
CODE_FORMAT = re.compile(r"^\d{9}(\d{3})?$")
MARGIN_DEGREES = 0.5  # around the township seats: projected metres fall far outside
MAX_ERRORS = 10


class Problems(list):
    def add(self, where, message):
        self.append(f"{where}: {message}" if where else message)


def checked_boundaries(content, townships, seats):
    """`content` (bytes) as the normalised FeatureCollection to store; ValidationError under
    `file` listing what is wrong. `townships`: division code -> township name, the codes a
    file must cover; `seats`: (lat, lon) pairs the coordinates must lie near."""
    problems = Problems()
    collection = _parsed(content, problems)
    features = []
    if collection is not None:
        features = _features(collection, townships, _bounds(seats), problems)
        covered = {feature["properties"]["division_code"] for feature in features}
        missing = [name for code, name in townships.items() if code not in covered]
        if missing and not problems:
            problems.add("features", _("no feature for %(townships)s") % {
                "townships": "、".join(missing)})
    if problems:
        shown = problems[:MAX_ERRORS]
        if len(problems) > MAX_ERRORS:
            shown.append(_("and %(count)s more problems") % {"count": len(problems) - MAX_ERRORS})
        raise ValidationError({"file": shown})
    return {"type": "FeatureCollection", "features": features}


def _parsed(content, problems):
    if len(content) > MAX_BYTES:
        problems.add("", _("The file is larger than %(size)s MB.") % {"size": MAX_BYTES // 2**20})
        return None
    try:
        collection = json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        problems.add("", _("The file is not UTF-8 text."))
        return None
    except json.JSONDecodeError as error:
        problems.add("", _("The file is not valid JSON (line %(line)s, column %(column)s).")
                     % {"line": error.lineno, "column": error.colno})
        return None
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        problems.add("type", _("must be FeatureCollection"))
        return None
    if not isinstance(collection.get("features"), list) or not collection["features"]:
        problems.add("features", _("must be a list of features, not empty"))
        return None
    return collection


def _features(collection, townships, bounds, problems):
    features, seen = [], {}
    for index, feature in enumerate(collection["features"]):
        where = f"features[{index}]"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.add(f"{where}.type", _("must be Feature"))
            continue
        code = _division_code(feature.get("properties"), townships, where, problems)
        geometry = _geometry(feature.get("geometry"), bounds, f"{where}.geometry", problems)
        if code in seen:
            problems.add(f"{where}.properties.division_code", _(
                "%(code)s is already used by features[%(other)s]") % {
                "code": code, "other": seen[code]})
            continue
        if code and geometry:
            seen[code] = index
            features.append({"type": "Feature", "geometry": geometry,
                             "properties": {"division_code": code, "name": townships[code]}})
    return features


def _division_code(properties, townships, where, problems):
    if not isinstance(properties, dict):
        problems.add(f"{where}.properties", _("must be an object naming the township"))
        return None
    value = next((properties[name] for name in CODE_PROPERTIES if name in properties), None)
    where = f"{where}.properties.division_code"
    if value is None:
        problems.add(where, _("missing: the township's official division code"))
        return None
    code = str(value).strip()
    if not CODE_FORMAT.match(code):
        problems.add(where, _("%(value)s is not a 9- or 12-digit division code")
                     % {"value": code[:20]})
        return None
    code = code.ljust(12, "0")
    if code not in townships:
        problems.add(where, _("%(code)s is not the code of a township of the county")
                     % {"code": code})
        return None
    return code


def _geometry(geometry, bounds, where, problems):
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        problems.add(f"{where}.type", _("must be Polygon or MultiPolygon"))
        return None
    polygons = geometry.get("coordinates")
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    if not isinstance(polygons, list) or not polygons:
        problems.add(f"{where}.coordinates", _("must be a list of rings"))
        return None
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            problems.add(f"{where}.coordinates", _("must be a list of rings"))
            return None
        for ring in polygon:
            if problem := _ring_problem(ring, bounds):
                problems.add(f"{where}.coordinates", problem)
                return None
    return {"type": geometry["type"], "coordinates": geometry["coordinates"]}


def _ring_problem(ring, bounds):
    if not isinstance(ring, list) or len(ring) < 4:
        return _("a ring needs at least four positions")
    for position in ring:
        if (not isinstance(position, list) or len(position) not in (2, 3)
                or not all(_is_number(n) for n in position)):
            return _("a position must be [longitude, latitude]")
        lon, lat = position[0], position[1]
        if not (bounds[0] <= lon <= bounds[2] and bounds[1] <= lat <= bounds[3]):
            return _("[%(lon)s, %(lat)s] is not near the county: positions must be longitude "
                     "and latitude in degrees (WGS 84 or CGCS2000), not projected metres") % {
                "lon": lon, "lat": lat}
    if ring[0][:2] != ring[-1][:2]:
        return _("a ring must end where it starts")
    return None


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _bounds(seats):
    """(west, south, east, north) around the seats; the whole globe when none is known."""
    if not seats:
        return (-180, -90, 180, 90)
    lats, lons = [s[0] for s in seats], [s[1] for s in seats]
    return (min(lons) - MARGIN_DEGREES, min(lats) - MARGIN_DEGREES,
            max(lons) + MARGIN_DEGREES, max(lats) + MARGIN_DEGREES)
