import pytest

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def member(django_user_model):
    """A signed-up user with a known password (no special permissions)."""
    return django_user_model.objects.create_user(username="zhangsan", password=PASSWORD, first_name="张三")


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client
