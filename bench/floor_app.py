"""The floor for bench/ingest.py: the least a webhook receiver can do, parse the JSON body and make one RQ enqueue.

No authentication, no dedupe, no record: whatever ours costs above this is the price of those.
Run as `gunicorn --config gunicorn.conf.py bench.floor_app:app` with REDIS_URL set.
"""

import json
import os

from flask import Flask, jsonify, request
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

QUEUE_NAME = "bench-floor"

app = Flask(__name__)
queue = Queue(QUEUE_NAME, connection=Redis.from_url(os.environ["REDIS_URL"]), serializer=JSONSerializer)


@app.post("/webhooks/shippify/<status>")
def webhook(status: str):
    delivery_id = json.loads(request.get_data(cache=False))["id"]
    queue.enqueue_call("bench.floor_app.noop", args=(delivery_id, status))
    return jsonify({"status": "queued", "delivery_id": delivery_id}), 202


def noop(delivery_id: str, status: str) -> None:
    """The job (never run by the benchmark)."""
