#!/usr/bin/env python3
"""Prepares a fresh lims server for scripts/load.sh (standard library only).

    prepare.py BASE_URL DATA_DIR SAMPLES ITEMS

Logs in the users that load.sh created (password in LOAD_PASSWORD), creates a plan
and an entity, writes the registration body (DATA_DIR/sample.json, with BATCH where
each request puts its own batch number), then registers SAMPLES samples, receives
them and assigns each ITEMS test items with a `max` limit to the technician. Writes
DATA_DIR/samples.txt (the numbers), DATA_DIR/tests.txt ("id version text", a passing
result for each test) and DATA_DIR/tokens.env.
"""

import concurrent.futures
import datetime
import json
import os
import sys
import urllib.error
import urllib.request

BASE, DATA, SAMPLES, ITEMS = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
PASSWORD = os.environ["LOAD_PASSWORD"]


def call(method, path, token=None, body=None, expect=(200, 201)):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    if status not in expect:
        sys.exit(f"{method} {path}: {status} {text[:500]!r}")
    return json.loads(text) if text else None


def login(name):
    out = call("POST", "/api/v1/auth/login", body={"username": name, "password": PASSWORD})
    return out["token"], out["user"]["id"]


sampler, _ = login("load_sampler")
_, sampler2_id = login("load_sampler2")
sampler_id = call("GET", "/api/v1/me", sampler)["id"]
supervisor, _ = login("load_supervisor")
custodian, _ = login("load_custodian")
tech, tech_id = login("load_tech")

plan = call("POST", "/api/v1/plans", supervisor, {
    "code": "LOAD-2026", "name": "2026年负载测试抽检", "year": 2026, "level": "prefectural",
    "kind": "supervision", "domain": "food", "region_code": "630100", "target_batches": 100000})
entity = call("POST", "/api/v1/entities", sampler, {
    "name": "西宁市城西区某某超市", "uscc": "91630104MA752K8R2Q", "license_no": "JY16301040000123",
    "kind": "distributor", "address": "西宁市城西区五四大街1号", "region_code": "630104",
    "contact": "张三 0971-1234567"})

# An hour ago, in China's time: always within the accepted window.
sampled_at = (datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8)))
              - datetime.timedelta(hours=1)).replace(microsecond=0).isoformat()
sample = {
    "plan_id": plan["id"], "entity_id": entity["id"], "domain": "food", "category_code": "34.02",
    "product_name": "青海牦牛肉干（五香味）", "brand": "高原红", "specification": "200g/袋",
    "batch_no": "BATCH", "production_date": "2026-02-15", "shelf_life": "9个月",
    "manufacturer": "青海某某食品有限公司", "manufacturer_address": "青海省西宁市城北区",
    "stage": "circulation", "sampled_at": sampled_at, "place": "货架",
    "sampler_ids": [sampler_id, sampler2_id], "quantity": "4", "unit": "袋",
    "backup_quantity": "4", "storage": "ambient", "price": "128.00", "notes": "无"}
with open(os.path.join(DATA, "sample.json"), "w") as f:
    json.dump(sample, f, ensure_ascii=False)

items = [t for t in call("GET", "/api/v1/test-items", supervisor)
         if t.get("limit_kind") == "max" and t.get("micro_n") is None
         and t.get("limit_max_text")][:ITEMS]
if len(items) < ITEMS:
    sys.exit(f"only {len(items)} catalogue items with a max limit")


def half(text):
    """A passing result: half the limit, written plainly."""
    v = float(text) / 2
    return f"{v:.6f}".rstrip("0").rstrip(".") or "0"


def one(i):
    body = dict(sample, batch_no=f"P{i}")
    no = call("POST", "/api/v1/samples", sampler, body)["sample_no"]
    call("POST", "/api/v1/receipts", custodian,
         {"scan": no, "seal_intact": True, "condition_ok": True})
    tests = call("POST", f"/api/v1/samples/{no}/tests", custodian, {"assignments": [
        {"test_item_id": t["id"], "assignee_id": tech_id} for t in items]})
    by_item = {t["id"]: half(t["limit_max_text"]) for t in items}
    return no, [(t["id"], t["version"], by_item[t["test_item_id"]]) for t in tests]


with concurrent.futures.ThreadPoolExecutor(8) as pool:
    done = list(pool.map(one, range(SAMPLES)))

with open(os.path.join(DATA, "samples.txt"), "w") as f:
    f.writelines(no + "\n" for no, _ in done)
with open(os.path.join(DATA, "tests.txt"), "w") as f:
    for _, tests in done:
        f.writelines(f"{i} {v} {text}\n" for i, v, text in tests)
with open(os.path.join(DATA, "tokens.env"), "w") as f:
    f.write(f"SAMPLER_TOKEN={sampler}\nSUPERVISOR_TOKEN={supervisor}\nTECH_TOKEN={tech}\n")
print(f"prepared {len(done)} samples, {sum(len(t) for _, t in done)} tests")
