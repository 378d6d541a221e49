"""gunicorn's settings for every way this project serves (make run, the benchmarks, systemd): read by gunicorn from
the working directory. Command-line flags (--bind, --workers) still win."""
import os

bind = os.environ.get("PETA_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", "3"))
timeout = 120
accesslog = "-"
logger_class = "app.access_log.RedactingLogger"  # api_key=… never reaches the access log
# Open311 documents up to 1,000 service_request_id values in one GET (~16 KB of URL); gunicorn's own cap is 8 KB,
# so it is lifted here and the app refuses request lines over 64 KB (app/guards.py). Behind nginx, raise its
# large_client_header_buffers to match (docs/open311.md).
limit_request_line = 0
