"""One client per outside service, each behind one class: Shippify's API (shippify.py), Twilio's Messages API
(twilio_sms.py), an SMTP relay (smtp_mailer.py)."""
