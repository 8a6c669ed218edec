"""Signs files with the C2PA reference implementation (c2pa-python), so that the Go
reader is checked on manifests the reference wrote, in every format both support.

Usage: python reference_sign.py OUTDIR SRC:MIME...   (run by crosscheck_test.go)

Each signed file gets a manifest whose c2pa.actions says c2pa.created with
trainedAlgorithmicMedia, signed (ES256) by a certificate issued on the spot by a
throwaway CA (so the signature validates and the signer is untrusted). Prints one JSON
object per input: {"src", "out", "error"}.
"""
import datetime
import json
import os
import sys

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DST = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def key_usage(sign, cert_sign):
    return x509.KeyUsage(digital_signature=sign, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign,
                         crl_sign=cert_sign, encipher_only=False, decipher_only=False)


def chain():
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aigcwatch cross-check CA"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "aigcwatch cross-check CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(key_usage(False, True), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aigcwatch cross-check signer"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "aigcwatch cross-check")])
    ee = (x509.CertificateBuilder().subject_name(name).issuer_name(ca_name)
          .public_key(key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
          .add_extension(key_usage(True, False), critical=True)
          .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
          .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    certs = ee.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM)
    pkey = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    return certs, pkey


def main():
    out_dir = sys.argv[1]
    certs, pkey = chain()
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg=b"es256", sign_cert=certs, private_key=pkey, ta_url=None))
    manifest = json.dumps({
        "claim_generator_info": [{"name": "aigcwatch-crosscheck", "version": "1"}],
        "title": "generated",
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [
            {"action": "c2pa.created", "digitalSourceType": DST}]}}],
    })
    for arg in sys.argv[2:]:
        src, mime = arg.rsplit(":", 1)
        out = os.path.join(out_dir, "ref-" + os.path.basename(src))
        res = {"src": src, "out": out, "error": ""}
        try:
            with c2pa.Builder(manifest) as b, open(src, "rb") as s, open(out, "w+b") as d:
                b.sign(signer, mime, s, d)
        except Exception as e:  # reported, and the test fails on it
            res["error"] = "%s: %s" % (type(e).__name__, e)
        print(json.dumps(res))


if __name__ == "__main__":
    main()
