"""API tokens: ``Authorization: Bearer <token>`` for the JSON API. Only a hash of each token is stored.

>>> token, secret = issue_token(user=alice, name="统计脚本")     # the secret is shown once
>>> user_for_secret(secret)                                       # alice (None when unknown or revoked)
"""
