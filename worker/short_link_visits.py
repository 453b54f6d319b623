"""Whether a visit of a short link is a person or a link preview (a messaging app building a card, a mail scanner
checking the link before delivering the mail): previews are counted apart and never set clicked_at.

The rule, from what link shorteners and email tools do (Bitly and Rebrandly filter by user agent; Mailchimp,
Customer.io and SendGrid flag clicks by known scanners and clicks seconds after the send): a visit is a preview
when it is a HEAD request, when it names no user agent or a known preview or scanner agent, or when it comes
within PREVIEW_WINDOW seconds of the send (no person opens an SMS that fast; scanners do)."""

import re
import time

PREVIEW_WINDOW = 2.0
PREVIEW_AGENTS = re.compile(
    r"whatsapp|facebookexternalhit|facebot|meta-externalagent|slackbot|slack-imgproxy|telegrambot|twitterbot"
    r"|discordbot|linkedinbot|skypeuripreview|pinterest|redditbot|viber|snapchat|iframely|embedly"
    r"|googlebot|google-inspectiontool|googleimageproxy|google-safety|bingbot|bingpreview|applebot|yandex"
    r"|duckduckbot|baiduspider|microsoft office|ms-office|microsoft outlook|safelinks|proofpoint|mimecast"
    r"|barracuda|symantec|trendmicro|forcepoint|cisco|fireeye|sophos|zscaler"
    r"|\bbot\b|crawler|spider|preview|scanner|python-requests|curl/|wget/|go-http-client|okhttp|headless",
    re.IGNORECASE,
)


def visit_kind(method: str, user_agent: str, sent_at: float | None, now: float | None = None) -> str:
    """ "preview" or "click", by the rule above."""
    if method == "HEAD" or not user_agent.strip() or PREVIEW_AGENTS.search(user_agent):
        return "preview"
    current = time.time() if now is None else now
    if sent_at is not None and current - sent_at < PREVIEW_WINDOW:
        return "preview"
    return "click"
