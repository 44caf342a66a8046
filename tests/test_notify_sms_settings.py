"""The settings a county sets for its SMS gateway (SMS_GATEWAY and the ALIYUN_SMS_* or SMPP_*
variables): read strictly at start, and turned into options the backends accept."""

import json
import os
import subprocess
import sys

import pytest

from notify.backends import backend_made

PRINT_SMS_BACKEND = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps(settings.NOTIFY_BACKENDS["sms"]))
"""
ALIYUN = {"SMS_GATEWAY": "aliyun", "ALIYUN_SMS_ACCESS_KEY_ID": "LTAI-id",
          "ALIYUN_SMS_ACCESS_KEY_SECRET": "secret", "ALIYUN_SMS_SIGN_NAME": "泽州县应急",
          "ALIYUN_SMS_TEMPLATE_CODE": "SMS_900001"}
SMPP = {"SMS_GATEWAY": "smpp", "SMPP_HOST": "10.1.2.3", "SMPP_SYSTEM_ID": "zezhou",
        "SMPP_PASSWORD": "secret", "SMPP_SOURCE_ADDR": "106900001234"}


def sms_backend_config(variables):
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("SMS_", "ALIYUN_", "SMPP_"))}
    environment.update(variables, DJANGO_SETTINGS_MODULE="zezhou_heat.settings.test")
    done = subprocess.run([sys.executable, "-c", PRINT_SMS_BACKEND], env=environment,
                          capture_output=True, text=True, timeout=60)
    if done.returncode:
        return None, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), ""


def test_the_quick_start_keeps_sms_in_the_outbox():
    config, _ = sms_backend_config({})
    assert config["BACKEND"] == "notify.backends.outbox.OutboxBackend"


def test_aliyun_settings_make_a_backend():
    config, _ = sms_backend_config({**ALIYUN, "ALIYUN_SMS_TEMPLATE_PARAMS": "c1,c2,c3",
                                    "ALIYUN_SMS_PARAM_MAX_CHARS": "35",
                                    "ALIYUN_SMS_MAX_PER_SECOND": "500"})
    backend = backend_made(config, "sms")
    assert backend.max_per_second == 500  # the account's calls a second, shared by all workers
    assert backend.endpoint == "https://dysmsapi.aliyuncs.com/"
    assert backend.template_params == ["c1", "c2", "c3"] and backend.param_max_chars == 35
    assert backend.sign_name == "泽州县应急" and backend.timeout == 5


def test_smpp_settings_make_a_backend():
    config, _ = sms_backend_config(SMPP)
    backend = backend_made(config, "sms")
    assert backend.max_per_second == 50  # the default, till the county sets its contract's
    assert (backend.host, backend.port, backend.source_addr) == ("10.1.2.3", 2775, "106900001234")
    assert backend._client is None  # nothing connects before the first message


@pytest.mark.parametrize(("variables", "named"), [
    ({"SMS_GATEWAY": "tencent"}, "SMS_GATEWAY"),
    ({**ALIYUN, "ALIYUN_SMS_SIGN_NAME": ""}, "ALIYUN_SMS_SIGN_NAME"),
    ({**SMPP, "SMPP_PORT": "many"}, "SMPP_PORT"),
    ({"ALIYUN_SMS_CALLBACK_TOKEN": "short"}, "ALIYUN_SMS_CALLBACK_TOKEN"),
    ({"ALIYUN_SMS_CALLBACK_NETWORKS": "aliyun"}, "ALIYUN_SMS_CALLBACK_NETWORKS"),
    ({**ALIYUN, "ALIYUN_SMS_MAX_PER_SECOND": "fast"}, "ALIYUN_SMS_MAX_PER_SECOND"),
    ({**ALIYUN, "ALIYUN_SMS_MAX_PER_SECOND": "0"}, "ALIYUN_SMS_MAX_PER_SECOND"),
    ({**SMPP, "SMPP_MAX_PER_SECOND": "5/s"}, "SMPP_MAX_PER_SECOND"),
    ({"NOTIFY_WECOM_WEBHOOK_KEY": "k", "NOTIFY_WECOM_MAX_PER_MINUTE": "-1"},
     "NOTIFY_WECOM_MAX_PER_MINUTE"),
    ({"NOTIFY_THROTTLE_PATIENCE_SECONDS": "2026-13-01"}, "NOTIFY_THROTTLE_PATIENCE_SECONDS"),
])
def test_a_wrong_setting_stops_the_start_naming_it(variables, named):
    config, error = sms_backend_config(variables)
    assert config is None and "ImproperlyConfigured" in error and named in error
