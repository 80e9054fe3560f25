"""Where the offline Swagger UI / ReDoc assets live, for every framework's docs.

drf-spectacular-sidecar ships the JavaScript and CSS that DRF's docs serve
through Django's staticfiles. FastAPI (StaticFiles) and Flask
(send_from_directory) serve the same folder themselves: no CDN, no internet.
"""

from __future__ import annotations

from pathlib import Path

import drf_spectacular_sidecar

# The package's static folder, as `collectstatic` would find it.
SIDECAR_STATIC = (
    Path(drf_spectacular_sidecar.__file__).parent / "static" / "drf_spectacular_sidecar"
)
