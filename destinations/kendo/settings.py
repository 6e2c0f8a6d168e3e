"""Constants of the Kendo Push API destination: endpoint, config keys, ledger table, push defaults."""

from __future__ import annotations

DEFAULT_INGEST_URL = "https://app.kendo.ai/api/integrations/push-api/ingest"

# @dlt.destination(name=...) makes dlt read `destination.kendo.*` from config / secrets / env
DESTINATION_NAME = "kendo"
API_KEY_SETTING = "destination.kendo.api_key"
API_KEY_ENV = "DESTINATION__KENDO__API_KEY"
INGEST_URL_SETTING = "destination.kendo.ingest_url"

# what Kendo gets as `audioUrl` (audio_urls.py): zoom_token | stage | none
AUDIO_URL_MODE_SETTING = "destination.kendo.audio_url_mode"
AUDIO_TOKEN_TTL_SETTING = "destination.kendo.audio_token_ttl"
STAGE_BUCKET_URL_SETTING = "destination.kendo.stage_bucket_url"
STAGE_URL_TTL_SETTING = "destination.kendo.stage_url_ttl"
STAGE_STORAGE_OPTIONS_SETTING = "destination.kendo.stage_storage_options"  # secret: fsspec options
AUDIO_URL_MODES = ("zoom_token", "stage", "none")
DEFAULT_AUDIO_URL_MODE = "zoom_token"
DEFAULT_AUDIO_TOKEN_TTL = 86400  # seconds a download_access_token lives; Zoom allows up to 604800
MAX_AUDIO_TOKEN_TTL = 604800
DEFAULT_STAGE_URL_TTL = 604800  # seconds a signed URL lives; 7 days is also S3's SigV4 maximum

# the ledger lives in the warehouse dataset, next to `calls`
CALLS_TABLE = "calls"
LEDGER_TABLE = "kendo_sync"

# the `calls` columns (docs/CONTRACTS.md §5) the payload is built from
CALL_COLUMNS = (
    "meeting_uuid",
    "meeting_id",
    "title",
    "rep_name",
    "rep_email",
    "call_date",
    "duration_minutes",
    "audio_url",
    "audio_file_id",  # names the staged copy; not part of the body
    "transcript",
    # Zoom Phone calls (source `zoom_phone`): their metadata ids; meetings leave them null
    "source",
    "zoom_call_history_id",
    "zoom_recording_id",
    "account_id",  # written to the ledger beside the call; not part of the body
)

# which calls are pushed: `destination.kendo.sources`, any of CALL_SOURCES (default: all)
SOURCES_SETTING = "destination.kendo.sources"
CALL_SOURCES = ("meetings", "phone")
# the `calls.source` of a Zoom Phone call (meetings: null or "zoom")
PHONE_SOURCE = "zoom_phone"

DEFAULT_CONCURRENCY = 4
DEFAULT_RATE_PER_SECOND = 5.0
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_BACKOFF_SECONDS = 0.5  # first back-off; doubles per attempt, with jitter
MAX_BACKOFF_SECONDS = 30.0
MAX_RETRY_AFTER_SECONDS = 120.0  # a longer Retry-After leaves the call pending for the next run
# seconds to wait for Kendo's answer to a POST; past it the call is `uncertain` (Kendo may hold it), so be
# generous: a slow answer costs time, a timed-out one costs a manual --resend-uncertain
REQUEST_TIMEOUT_SETTING = "destination.kendo.request_timeout"
REQUEST_TIMEOUT_SECONDS = 120.0
# rows handed to the destination function per call; posted `concurrency` at a time inside it
DESTINATION_BATCH_SIZE = 100
