"""REDIS_URL's Sentinel form is read in one place; a URL that cannot work stops the start."""

import base64
import re
import secrets

import pytest

from backend.core.config import Settings
from backend.core.redis_url import RedisUrlError, SentinelUrl, parse_sentinel_url


def test_sentinel_url_names_every_sentinel_the_master_and_the_database():
    url = "redis+sentinel://10.0.0.1:26379,10.0.0.2:26380,10.0.0.3:26379/mymaster/3"
    assert parse_sentinel_url(url) == SentinelUrl(
        sentinels=(("10.0.0.1", 26379), ("10.0.0.2", 26380), ("10.0.0.3", 26379)), master_name="mymaster", db=3
    )


def test_sentinel_url_port_defaults_to_26379_and_database_to_0():
    address = parse_sentinel_url("redis+sentinel://sentinel-a,sentinel-b:26390/mymaster")
    assert address.sentinels == (("sentinel-a", 26379), ("sentinel-b", 26390))
    assert address.db == 0


def test_sentinel_url_password_is_the_masters_and_sentinel_password_is_the_sentinels():
    address = parse_sentinel_url("redis+sentinel://:p%40ss@10.0.0.1:26379/mymaster/0?sentinel_password=s3cret")
    assert address.master_kwargs()["password"] == "p@ss"
    assert "username" not in address.master_kwargs()
    assert address.sentinel_kwargs()["password"] == "s3cret"


def test_sentinel_url_without_a_sentinel_password_sends_none_to_the_sentinels():
    address = parse_sentinel_url("redis+sentinel://app:pw@10.0.0.1:26379/mymaster/0")
    assert (address.master_kwargs()["username"], address.master_kwargs()["password"]) == ("app", "pw")
    assert "password" not in address.sentinel_kwargs()


def test_blank_sentinel_password_means_none():
    assert parse_sentinel_url("redis+sentinel://10.0.0.1/mymaster/0?sentinel_password=").sentinel_password is None


def test_sentinel_url_accepts_ipv6_sentinels():
    assert parse_sentinel_url("redis+sentinel://[::1]:26379/mymaster/0").sentinels == (("::1", 26379),)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("redis+sentinel:///mymaster/0", "没有哨兵地址"),
        ("redis+sentinel://10.0.0.1:26379,,10.0.0.2:26379/mymaster/0", "多了逗号"),
        ("redis+sentinel://10.0.0.1:26379", "缺少主节点名"),
        ("redis+sentinel://10.0.0.1:26379/", "缺少主节点名"),
        ("redis+sentinel://10.0.0.1:26379//0", "缺少主节点名"),
        ("redis+sentinel://10.0.0.1:abc/mymaster/0", "端口不对"),
        ("redis+sentinel://10.0.0.1:70000/mymaster/0", "端口不对"),
        ("redis+sentinel://10.0.0.1:0/mymaster/0", "端口不对"),
        ("redis+sentinel://:pw@/mymaster/0", "没有哨兵地址"),
        ("redis+sentinel://:26379/mymaster/0", "没有主机名"),
        ("redis+sentinel://10.0.0.1:26379/mymaster/zero", "库号 'zero' 不对"),
        ("redis+sentinel://10.0.0.1:26379/mymaster/-1", "库号 '-1' 不对"),
        ("redis+sentinel://10.0.0.1:26379/mymaster/0/1", "多了 '1'"),
        ("redis+sentinel://10.0.0.1:26379/mymaster/0?password=x", "不认识的参数 'password'"),
        ("redis+sentinel://:pa#ss@10.0.0.1:26379/mymaster/0", "不能有 #"),
    ],
)
def test_bad_sentinel_url_is_refused_with_the_reason(url, reason):
    with pytest.raises(RedisUrlError) as refused:
        parse_sentinel_url(url)
    assert reason in str(refused.value)
    assert "redis+sentinel://[:密码@]哨兵1:26379" in str(refused.value), "the message shows the right form"


def test_refusal_does_not_repeat_the_password():
    with pytest.raises(RedisUrlError) as refused:
        parse_sentinel_url("redis+sentinel://:topsecret@10.0.0.1:99999/mymaster/0")
    assert "topsecret" not in str(refused.value)


def _env(redis_url: str, tmp_path) -> dict[str, str]:
    return {
        "REDIS_URL": redis_url,
        "HOUQIN_DATA_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "HOUQIN_VAR_DIR": str(tmp_path),
    }


def test_settings_accept_a_sentinel_url(tmp_path):
    url = "redis+sentinel://10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379/mymaster/0"
    settings = Settings.from_env(_env(url, tmp_path))
    assert settings.redis_url == url
    assert not settings.embedded


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("redis+sentinel://10.0.0.1:26379", "缺少主节点名"),
        ("redis+sentinal://10.0.0.1:26379/mymaster/0", "协议 'redis+sentinal' 不支持"),
        ("10.0.0.1:6379", "应以 redis://"),
        ("redis://10.0.0.1:port/0", "REDIS_URL 格式不对"),
    ],
)
def test_settings_refuse_a_redis_url_no_client_could_use(url, reason, tmp_path):
    with pytest.raises(ValueError, match=re.escape(reason)):
        Settings.from_env(_env(url, tmp_path))
