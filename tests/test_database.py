"""The PostgreSQL pass really runs on PostgreSQL (scripts/test, second pass)."""

import pytest
from django.db import connection


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_is_the_database(django_user_model):
    assert connection.vendor == "postgresql"
    user = django_user_model.objects.create_user(username="李四", password="li-si-password")
    assert django_user_model.objects.get(username="李四") == user
