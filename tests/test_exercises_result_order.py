"""The check of 02_result_order accepts every way to keep ids and names paired, and rejects each wrong pairing."""

import asyncio
import time

import pytest
from exercise_harness import assert_hint, assert_passes

from lab.checks import CheckFailed, NotSolvedYet
from lab.exercises.result_order import check_names_by_id


async def solution(fetch_user, user_ids):
    users = await asyncio.gather(*(fetch_user(user_id) for user_id in user_ids))
    return {user_id: user["name"] for user_id, user in zip(user_ids, users)}


async def as_completed_keyed_by_the_answer(fetch_user, user_ids):
    names = {}
    for next_done in asyncio.as_completed([fetch_user(user_id) for user_id in user_ids]):
        user = await next_done
        names[user["id"]] = user["name"]
    return names


async def with_taskgroup(fetch_user, user_ids):
    async with asyncio.TaskGroup() as tg:
        tasks = {user_id: tg.create_task(fetch_user(user_id)) for user_id in user_ids}
    return {user_id: task.result()["name"] for user_id, task in tasks.items()}


async def wait_on_a_dict_of_tasks(fetch_user, user_ids):
    tasks = {user_id: asyncio.create_task(fetch_user(user_id)) for user_id in user_ids}
    await asyncio.wait(tasks.values())
    return {user_id: task.result()["name"] for user_id, task in tasks.items()}


async def paired_by_finishing_order(fetch_user, user_ids):
    finished = [await next_done for next_done in asyncio.as_completed([fetch_user(i) for i in user_ids])]
    return {user_id: user["name"] for user_id, user in zip(user_ids, finished)}


async def paired_with_the_done_set(fetch_user, user_ids):
    done, _ = await asyncio.wait([asyncio.create_task(fetch_user(i)) for i in user_ids])
    return {user_id: task.result()["name"] for user_id, task in zip(sorted(user_ids), done)}


async def ids_from_a_set(fetch_user, user_ids):
    users = await asyncio.gather(*(fetch_user(user_id) for user_id in user_ids))
    return {user_id: user["name"] for user_id, user in zip(set(user_ids), users)}


async def one_by_one(fetch_user, user_ids):
    return {user_id: (await fetch_user(user_id))["name"] for user_id in user_ids}


async def first_alone_then_the_rest(fetch_user, user_ids):
    first = await fetch_user(user_ids[0])
    rest = await asyncio.gather(*(fetch_user(user_id) for user_id in user_ids[1:]))
    return {user_id: user["name"] for user_id, user in zip(user_ids, [first, *rest])}


async def blocking_pause_before_each(fetch_user, user_ids):
    async def one(user_id):
        time.sleep(0.06)
        return await fetch_user(user_id)

    users = await asyncio.gather(*(one(user_id) for user_id in user_ids))
    return {user_id: user["name"] for user_id, user in zip(user_ids, users)}


async def whole_profiles(fetch_user, user_ids):
    users = await asyncio.gather(*(fetch_user(user_id) for user_id in user_ids))
    return dict(zip(user_ids, users))


async def a_list_of_names(fetch_user, user_ids):
    users = await asyncio.gather(*(fetch_user(user_id) for user_id in user_ids))
    return [user["name"] for user in users]


async def string_keys(fetch_user, user_ids):
    return {str(user_id): name for user_id, name in (await solution(fetch_user, user_ids)).items()}


async def last_id_forgotten(fetch_user, user_ids):
    return await solution(fetch_user, user_ids[:-1])


async def fetched_twice(fetch_user, user_ids):
    await solution(fetch_user, user_ids)
    return await solution(fetch_user, user_ids)


async def slowest_left_running(fetch_user, user_ids):
    asyncio.create_task(fetch_user(user_ids[0]))
    users = await asyncio.gather(*(fetch_user(user_id) for user_id in user_ids[1:]))
    return {user_id: user["name"] for user_id, user in zip(user_ids[1:], users)}


async def not_written(fetch_user, user_ids):
    raise NotImplementedError


@pytest.mark.parametrize("answer", [solution, as_completed_keyed_by_the_answer, with_taskgroup,
                                    wait_on_a_dict_of_tasks])
def test_correct_answers_pass(answer):
    assert_passes(check_names_by_id, answer, "5 users fetched together; they finished in the order 5, 1, 8, 6, 3, "
                  "and every id still got its own name.")


@pytest.mark.parametrize("answer, hint", [
    (paired_by_finishing_order, ("user 3 got", "you paired the ids with results in the order they finished")),
    (paired_with_the_done_set, ("got", "paired in different orders (a set, like asyncio.wait's `done`")),
    (ids_from_a_set, "paired in different orders"),
    (one_by_one, "your requests did not overlap: the server saw at most 1 in flight"),
    (first_alone_then_the_rest, "only 4 of your 5 requests were in flight together"),
    (blocking_pause_before_each, "a blocking call held the event loop"),
    (whole_profiles, "the values should be names (user['name']), not whole profiles"),
    (a_list_of_names, ("return a dict {user_id: name}; got [", "Pair each id with its result")),
    (string_keys, "the keys should be the ids [3, 8, 5, 1, 6] (ints, as passed); got ['3', '8', '5', '1', '6']"),
    (last_id_forgotten, "the server never saw GET /users/6"),
    (fetched_twice, "the server saw 10 requests"),
    (slowest_left_running, ("returned while work it started was still running", "GET /users/3?delay=0.35")),
])
def test_each_mistake_gets_its_hint(answer, hint):
    assert_hint(check_names_by_id, answer, CheckFailed, hint)


def test_not_written_yet():
    assert_hint(check_names_by_id, not_written, NotSolvedYet, "not written yet")
