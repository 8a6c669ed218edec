"""Signs files with the C2PA reference implementation (c2pa-python), so that the Go
reader is checked on manifests the reference wrote, in every format both support.

Usage: python reference_sign.py OUTDIR SRC:MIME[:boxhash|:merkle]...   (run by crosscheck_test.go)

Each signed file gets a manifest whose c2pa.actions says c2pa.created with
trainedAlgorithmicMedia, signed (ES256) by a certificate issued on the spot by a
throwaway CA (so the signature validates and the signer is untrusted). Prints one JSON
object per input: {"src", "out", "error"}.

With ":boxhash" the file is signed with a box hash (c2pa.hash.boxes) instead of a data
hash: the reference's Builder.sign always writes a data hash for JPEG, PNG and GIF, so
this uses the reference's embeddable-manifest API through its C interface (the same
shared library c2pa-python loads): the setting builder.prefer_box_hash, then
c2pa_builder_update_hash_from_stream (the reference names and hashes the file's boxes,
with a C2PA box where it will go), c2pa_builder_sign_embeddable (the signed store as
JPEG APP11 segments, a PNG caBX chunk or a GIF application extension), and the store is
put where the reference's box map placed the C2PA box.

With ":merkle" an MP4 is signed with the setting core.merkle_tree_chunk_size_in_kb = 1:
the reference's BMFF hash then excludes each mdat's payload from the file-level hash and
adds a Merkle tree per mdat over its 1 KiB blocks (and merkle uuid boxes with each
block's proof), fragmented files included.
"""
import ctypes
import datetime
import io
import json
import os
import struct
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


def c2pa_box_position(data, mime):
    """Where the reference's box map puts a C2PA box in a file that has none."""
    if mime == "image/jpeg":
        # after the first APP0 segment if there is one, else right after SOI
        pos = 2
        while pos + 4 <= len(data) and data[pos] == 0xFF:
            marker = data[pos + 1]
            if marker == 0xDA or marker == 0xD9:
                break
            seg = 2 + struct.unpack(">H", data[pos + 2:pos + 4])[0]
            if marker == 0xE0:
                return pos + seg
            pos += seg
        return 2
    if mime == "image/png":
        # after IHDR, the first chunk
        return 8 + 12 + struct.unpack(">I", data[8:12])[0]
    if mime == "image/gif":
        # after the header, the logical screen descriptor and its global color table
        packed = data[10]
        return 13 + (3 * 2 ** ((packed & 7) + 1) if packed & 0x80 else 0)
    raise ValueError("no box hash for " + mime)


def sign_boxhash(manifest, certs, pkey, src, mime, out):
    from c2pa.c2pa import _lib, _read_native_error, Stream
    settings = c2pa.Settings.from_dict({"builder": {"prefer_box_hash": True}})
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg=b"es256", sign_cert=certs, private_key=pkey, ta_url=None))
    ctx = c2pa.Context(settings, signer)
    data = open(src, "rb").read()
    with c2pa.Builder(manifest, context=ctx) as b:
        h = b._handle
        s = Stream(io.BytesIO(data))
        _lib.c2pa_builder_hash_type.argtypes = [type(h), ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]
        kind = ctypes.c_int(-1)
        if _lib.c2pa_builder_hash_type(h, mime.encode(), ctypes.byref(kind)) != 0 or kind.value != 2:
            raise RuntimeError("the reference does not box-hash %s (hash type %d)" % (mime, kind.value))
        _lib.c2pa_builder_update_hash_from_stream.argtypes = [type(h), ctypes.c_char_p, type(s._stream)]
        if _lib.c2pa_builder_update_hash_from_stream(h, mime.encode(), s._stream) != 0:
            raise RuntimeError("update_hash_from_stream: %s" % _read_native_error())
        buf = ctypes.POINTER(ctypes.c_ubyte)()
        _lib.c2pa_builder_sign_embeddable.argtypes = [type(h), ctypes.c_char_p,
                                                      ctypes.POINTER(ctypes.POINTER(ctypes.c_ubyte))]
        _lib.c2pa_builder_sign_embeddable.restype = ctypes.c_int64
        n = _lib.c2pa_builder_sign_embeddable(h, mime.encode(), ctypes.byref(buf))
        if n < 0:
            raise RuntimeError("sign_embeddable: %s" % _read_native_error())
        store = ctypes.string_at(buf, n)
        _lib.c2pa_free.argtypes = [ctypes.c_void_p]
        _lib.c2pa_free(ctypes.cast(buf, ctypes.c_void_p))
    pos = c2pa_box_position(data, mime)
    with open(out, "wb") as f:
        f.write(data[:pos] + store + data[pos:])


def sign_merkle(manifest, certs, pkey, src, mime, out):
    settings = c2pa.Settings.from_dict({"core": {"merkle_tree_chunk_size_in_kb": 1}})
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg=b"es256", sign_cert=certs, private_key=pkey, ta_url=None))
    ctx = c2pa.Context(settings, signer)
    with c2pa.Builder(manifest, context=ctx) as b, open(src, "rb") as s, open(out, "w+b") as d:
        b.sign(mime, s, d)


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
        mode = ""
        for m in ("boxhash", "merkle"):
            if arg.endswith(":" + m):
                arg, mode = arg[:-len(m) - 1], m
        src, mime = arg.rsplit(":", 1)
        out = os.path.join(out_dir, "ref-" + (mode + "-" if mode else "") + os.path.basename(src))
        res = {"src": src, "out": out, "error": ""}
        try:
            if mode:
                {"boxhash": sign_boxhash, "merkle": sign_merkle}[mode](manifest, certs, pkey, src, mime, out)
                print(json.dumps(res))
                continue
            with c2pa.Builder(manifest) as b, open(src, "rb") as s, open(out, "w+b") as d:
                b.sign(signer, mime, s, d)
        except Exception as e:  # reported, and the test fails on it
            res["error"] = "%s: %s" % (type(e).__name__, e)
        print(json.dumps(res))


if __name__ == "__main__":
    main()
