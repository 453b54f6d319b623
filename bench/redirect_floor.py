"""The floor for bench/redirect.py: the least a short-link redirect can do, a Flask view answering a fixed 302.

No lookup, no Shippify call, no click record, no throttle: whatever ours costs above this is the price of those.
Run as `gunicorn --config gunicorn.conf.py bench.redirect_floor:app`.
"""

from flask import Flask, redirect

app = Flask(__name__)


@app.get("/t/<code>")
def follow(code: str):
    return redirect("https://track.sandbox.test/track/floor?token=floor", 302)
