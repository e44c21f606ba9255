"""The check of 02_result_order accepts right answers and names each typical mistake."""

import asyncio

import pytest

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


async def paired_by_finishing_order(fetch_user, user_ids):
    finished = [await next_done for next_done in asyncio.as_completed([fetch_user(i) for i in user_ids])]
    return {user_id: user["name"] for user_id, user in zip(user_ids, finished)}


async def one_by_one(fetch_user, user_ids):
    return {user_id: (await fetch_user(user_id))["name"] for user_id in user_ids}


async def first_alone_then_the_rest(fetch_user, user_ids):
    first = await fetch_user(user_ids[0])
    rest = await asyncio.gather(*(fetch_user(user_id) for user_id in user_ids[1:]))
    return {user_id: user["name"] for user_id, user in zip(user_ids, [first, *rest])}


async def whole_profiles(fetch_user, user_ids):
    users = await asyncio.gather(*(fetch_user(user_id) for user_id in user_ids))
    return dict(zip(user_ids, users))


async def a_list_of_names(fetch_user, user_ids):
    users = await asyncio.gather(*(fetch_user(user_id) for user_id in user_ids))
    return [user["name"] for user in users]


async def string_keys(fetch_user, user_ids):
    return {str(user_id): name for user_id, name in (await solution(fetch_user, user_ids)).items()}


async def names_sorted(fetch_user, user_ids):
    users = await asyncio.gather(*(fetch_user(user_id) for user_id in user_ids))
    return dict(zip(user_ids, sorted(user["name"] for user in users)))


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


@pytest.mark.parametrize("answer", [solution, as_completed_keyed_by_the_answer])
def test_right_answers_pass(answer, capsys):
    asyncio.run(check_names_by_id(answer))
    assert capsys.readouterr().out == ("✅ 3 users fetched together; they finished in the order 8, 5, 3, "
                                       "and every id still got its own name.\n")


@pytest.mark.parametrize("answer, hint", [
    (paired_by_finishing_order, "user 3 got 'Ken Thompson', the name of user 8: you paired the ids with results "
                                "in the order they finished"),
    (one_by_one, "your requests did not overlap: the server saw at most 1 in flight"),
    (first_alone_then_the_rest, "only 2 of your 3 requests were in flight together"),
    (whole_profiles, "the values should be names (user['name']), not whole profiles"),
    (a_list_of_names, "return a dict {user_id: name}; got ['Alan Turing', 'Ken Thompson', 'Barbara Liskov']. "
                      "Pair each id with its result"),
    (string_keys, "the keys should be the ids [3, 8, 5] (ints, as passed); got ['3', '8', '5']"),
    (names_sorted, "user 8 should be 'Ken Thompson'; got 'Barbara Liskov'"),
    (last_id_forgotten, "the server never saw GET /users/5"),
    (fetched_twice, "the server saw 6 requests"),
    (slowest_left_running, "names_by_id returned while work it started was still running (GET /users/3?delay=0.3)"),
])
def test_each_mistake_gets_its_hint(answer, hint):
    with pytest.raises(CheckFailed) as failure:
        asyncio.run(check_names_by_id(answer))
    assert type(failure.value) is CheckFailed
    assert hint in str(failure.value)


def test_not_written_yet():
    with pytest.raises(NotSolvedYet, match="not_written is not written yet"):
        asyncio.run(check_names_by_id(not_written))
