"""`zoom-pipeline webhooks serve`: Zoom's events, verified, queued durably, and loaded in micro-batches.

- verify.py: the `x-zm-signature` check, the timestamp window, the url_validation answer;
- queue.py: the SQLite (WAL) queue written before the 200, with dedupe and a size bound;
- events.py: what each event asks for (instances to load, rows to mark deleted, a webhook_events row);
- worker.py: drains the queue, one dlt run per micro-batch under the run lock, then the Kendo push;
- metrics.py: the counters and latencies of GET /metrics (Prometheus text format);
- app.py: the aiohttp routes; serve.py: the command (server, worker and the optional scheduled run).
"""
