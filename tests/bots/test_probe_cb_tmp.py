from tests.bots.test_telegram_webhook import *  # noqa
from tests.bots.test_telegram_webhook import env, telegram_env, fake_telegram  # noqa

def test_probe(client, runtime, directory, fake_telegram):
    payload = telegram_update("callback_query")
    assert post(client, payload).status_code == 200
    assert post(client, payload).status_code == 200
    print("JOBIDS", queue(runtime.redis, QUEUE_URGENT).job_ids)
    run_worker(runtime, burst=True)
    print("ANSWERS", len(fake_telegram.calls_to("answerCallbackQuery")))
