"""Reads files with the C2PA reference implementation (c2pa-python, c2pa-rs inside) and
prints one JSON object per file with what the Go reader's cross-check compares.

Usage: python reference.py FILE...   (run by crosscheck_test.go in its private venv)
"""
import json
import sys

import c2pa


def summary(path):
    out = {"file": path}
    try:
        reader = c2pa.Reader(path)
        store = json.loads(reader.json())
    except Exception as e:  # the reference refuses the file
        name = type(e).__name__
        out["error"] = "%s: %s" % (name, e)
        out["not_found"] = "ManifestNotFound" in name or "no JUMBF data found" in str(e)
        return out
    active = store.get("active_manifest") or ""
    man = store.get("manifests", {}).get(active, {})
    out["present"] = True
    out["manifests"] = len(store.get("manifests", {}))
    out["active"] = active
    out["validation_state"] = store.get("validation_state", "")
    out["claim_generator"] = man.get("claim_generator") or ""
    info = man.get("claim_generator_info") or []
    if isinstance(info, dict):
        info = [info]
    out["claim_generator_name"] = (info[0].get("name") or "") if info else ""
    dsts = []
    for a in man.get("assertions", []):
        if a.get("label", "").split("__")[0] in ("c2pa.actions", "c2pa.actions.v2"):
            for act in (a.get("data") or {}).get("actions", []):
                d = act.get("digitalSourceType")
                if d and d not in dsts:
                    dsts.append(d)
    out["digital_source_types"] = dsts
    sig = man.get("signature_info") or {}
    out["signer_org"] = sig.get("issuer") or ""  # the certificate subject's organization
    out["when"] = sig.get("time") or ""
    res = (store.get("validation_results") or {}).get("activeManifest") or {}
    codes_ok = {s.get("code") for s in res.get("success", [])}
    codes_fail = {s.get("code") for s in res.get("failure", [])}
    codes_fail |= {s.get("code") for s in store.get("validation_status", [])}
    binding = "none"
    for kind in ("dataHash", "bmffHash", "boxesHash", "collectionHash"):
        if "assertion.%s.mismatch" % kind in codes_fail:
            binding = "mismatch"
            break
        if "assertion.%s.match" % kind in codes_ok:
            binding = "match"
    out["hard_binding"] = binding
    # The active manifest's own assertions only (an ingredient's appear in ingredientDeltas
    # and in the merged validation_status).
    active_fail = {s.get("code") for s in res.get("failure", [])}
    out["hashed_uri_mismatch"] = "assertion.hashedURI.mismatch" in active_fail
    out["ingredient_mismatch"] = "ingredient.manifest.mismatch" in codes_fail
    return out


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(json.dumps(summary(p)))
