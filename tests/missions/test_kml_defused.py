"""KML is parsed with defusedxml: a DTD is refused whatever the document's encoding.

The old guard searched the raw bytes for ``<!DOCTYPE``; a UTF-16 document spells it with NUL bytes in
between, slipped past, and the standard parser expanded its entities.
"""

from __future__ import annotations

import pytest

from geodata.errors import InputError
from missions.formats.kml import load_kml

UTF16_WITH_ENTITY = (
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE kml [<!ENTITY who "injected">]>'
    '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&who;</name>'
    "<Point><coordinates>17.2,50.3,100</coordinates></Point></Placemark></Document></kml>"
).encode("utf-16")


def test_a_dtd_in_utf16_is_refused() -> None:
    with pytest.raises(InputError, match="DOCTYPE"):
        load_kml(UTF16_WITH_ENTITY)


def test_an_unknown_encoding_is_an_input_error() -> None:
    """Found by the KML fuzz test: a declared encoding Python does not know raised LookupError."""
    with pytest.raises(InputError, match="unknown encoding"):
        load_kml(b'<?xml version="1.0" encoding="Atf-8"?><kml/>')
