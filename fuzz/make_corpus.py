#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets into fuzz/corpus/<target>/.

Deterministic: run it again and the files are the same (tar members have
fixed times and owners, gzip has no timestamp). The files are checked in;
run this after changing it. Inputs found by fuzzing that reproduced a bug
are added by hand as crash-<what> files and are not touched here.
Input formats (the "\\x01"-separated parts, selector bytes) are described at
the top of each fuzz/<target>_fuzz.cc.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
SEP = b"\x01"
# End-of-archive blocks only, not a 10 KiB record: smaller seeds.
tarfile.RECORDSIZE = 1024


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def tar_bytes(members, fmt=tarfile.PAX_FORMAT):
    """members: (name, kind, payload) with kind file|dir|symlink|hardlink."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if kind == "file":
                info.size = len(payload)
                info.mode = 0o644
                t.addfile(info, io.BytesIO(payload))
                continue
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = payload
            elif kind == "hardlink":
                info.type = tarfile.LNKTYPE
                info.linkname = payload
            t.addfile(info)
    return buf.getvalue()


def gz(data):
    return gzip.compress(data, mtime=0)


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def desc(media_type, data, **extra):
    d = {"mediaType": media_type, "digest": sha(data), "size": len(data)}
    d.update(extra)
    return d


def dumps(v):
    return json.dumps(v, separators=(",", ":")).encode()


OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZ = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"

LAYER_TAR = tar_bytes([("bin", "dir", None), ("bin/hello", "file", b"#!/bin/sh\necho hello\n"),
                       ("etc", "dir", None), ("etc/os-release", "file", b"ID=fuzz\n")])
LAYER = gz(LAYER_TAR)
CONFIG = dumps({
    "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z", "author": "fuzz",
    "config": {"Env": ["PATH=/bin"], "Cmd": ["/bin/hello"], "Labels": {"a": "b"}},
    "rootfs": {"type": "layers", "diff_ids": [sha(LAYER_TAR)]},
    "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "ADD hello", "empty_layer": False}],
})
MANIFEST = dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": desc(OCI_CONFIG, CONFIG),
                  "layers": [desc(OCI_LAYER_GZ, LAYER)], "annotations": {"x": "y"}})
ATTESTATION = dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                     "config": desc(OCI_CONFIG, b"{}"),
                     "layers": [desc("application/vnd.in-toto+json", b"{}")]})
INDEX = dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
    desc(OCI_MANIFEST, MANIFEST, platform={"architecture": "amd64", "os": "linux"}),
    desc(OCI_MANIFEST, ATTESTATION, platform={"architecture": "unknown", "os": "unknown"},
         annotations={"vnd.docker.reference.type": "attestation-manifest",
                      "vnd.docker.reference.digest": sha(MANIFEST)})]})
DOCKER_MANIFEST_DOC = dumps({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
                             "config": desc(DOCKER_CONFIG, CONFIG), "layers": [desc(DOCKER_LAYER, LAYER)]})
DOCKER_LIST_DOC = dumps({"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": [
    desc(DOCKER_MANIFEST, DOCKER_MANIFEST_DOC,
         platform={"architecture": "arm", "os": "linux", "variant": "v7"})]})
SCHEMA1 = dumps({"schemaVersion": 1, "name": "x", "tag": "latest", "fsLayers": []})


def reference():
    seeds = {
        "busybox": "busybox", "tagged": "busybox:1.36", "digest": "busybox@" + sha(b"x"),
        "domain": "localhost:5000/team/app:v1\x01v2\x01team/*",
        "ipv6": "[::1]:5000/a/b@" + sha(b"y"), "upper": "Busybox",
        "hexid": hashlib.sha256(b"id").hexdigest(), "anydigest": sha(b"z"),
        "dangling": "moby-dangling@" + sha(b"d"), "glob": "docker.io/library/busybox:latest\x01\x01b[a-z]sy*",
        "classes": "a/b\x01t\x01[^a]/\\b?", "long": "a" * 260,
    }
    for name, text in seeds.items():
        write("reference", name, text)


def platform():
    seeds = {
        "os_arch": "linux/amd64\x01linux/arm64/v8\x01linux/arm/v7",
        "arm": "linux/arm\x01armhf\x01arm64",
        "windows": "windows(10.0.17763+win32k)/amd64\x01"
                   '{"os":"windows","architecture":"amd64","os.version":"10.0.20348.1","os.features":["win32k"]}',
        "json": '{"architecture":"arm64","os":"linux","variant":"v8"}\x01{"OS":"linux","Architecture":"386"}',
        "amd64v3": "linux/amd64/v3\x01linux/386\x01linux/amd64",
        "arm64v9": "linux/arm64/v9.2\x01linux/arm64/v8.5\x01linux/arm/v5",
        "bad": "a/b/c/d\x01*\x01linux/arm/",
        "darwin": "macos/x86_64\x01darwin\x01aarch64",
    }
    for name, text in seeds.items():
        write("platform", name, text)


def oci():
    # Selector byte: 0 = no media type, else kTypes[selector-1] in oci_fuzz.cc.
    seeds = {
        "index": (1, INDEX), "index_untyped": (0, INDEX), "manifest": (2, MANIFEST),
        "manifest_untyped": (0, MANIFEST), "config": (3, CONFIG), "docker_list": (6, DOCKER_LIST_DOC),
        "docker_manifest": (7, DOCKER_MANIFEST_DOC), "docker_config": (10, CONFIG),
        "schema1": (8, SCHEMA1), "attestation": (2, ATTESTATION),
        "descriptor": (0, dumps(desc(OCI_LAYER_GZ, LAYER, urls=["https://x/y"], artifactType="a/b",
                                     platform={"os": "linux", "architecture": "amd64"}))),
        "wrong_kind": (1, MANIFEST), "null_fields": (0, b'{"schemaVersion":2,"manifests":null,"config":null}'),
    }
    for name, (sel, doc) in seeds.items():
        write("oci", name, bytes([sel]) + doc)


def api_query():
    seeds = {
        "list": 'all=1&filters=%7B%22label%22%3A%7B%22a%3Db%22%3Atrue%7D%7D\x01{"dangling":["true"]}\x011.50\x011.24',
        "legacy": 'filters={"reference":["busy*"]}\x01{"label":["a=b","c"],"until":["10m"]}\x01v1.41\x011.41.0',
        "platform": 'platform=%7B%22os%22%3A%22linux%22%2C%22architecture%22%3A%22amd64%22%7D&platform=x'
                    '\x01{"os":"linux","architecture":"arm64"}\x011.9\x011.10',
        "prune": 'force=True&noprune=0\x01{"dangling":{"false":true},"label!":{"x":true},"until":{"2024-01-01T00:00:00Z":true}}'
                 '\x01key!=value\x01',
        "bad": 'x=%zz&y\x01{"label":"notalist"}\x01/v1.50/images/json\x01abc',
        "spec": 'platform=linux%2Farm%2Fv7\x01linux/arm64\x01label=a\x011',
    }
    for name, text in seeds.items():
        write("api_query", name, text)


def oci_archive():
    blobs = [LAYER, CONFIG, MANIFEST, INDEX, ATTESTATION, b"{}"]
    members = [("oci-layout", "file", b'{"imageLayoutVersion":"1.0.0"}'),
               ("index.json", "file", dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
                   desc(OCI_INDEX, INDEX, annotations={"io.containerd.image.name": "docker.io/library/fuzz:1"})]})),
               ("blobs", "dir", None), ("blobs/sha256", "dir", None)]
    for b in blobs:
        members.append(("blobs/sha256/" + hashlib.sha256(b).hexdigest(), "file", b))
    return tar_bytes(members)


def docker_archive():
    layer_path = hashlib.sha256(LAYER_TAR).hexdigest() + "/layer.tar"
    members = [
        ("manifest.json", "file", dumps([{"Config": "config.json", "RepoTags": ["fuzz:latest"],
                                          "Layers": [layer_path]}])),
        ("config.json", "file", CONFIG),
        ("repositories", "file", dumps({"fuzz": {"latest": hashlib.sha256(LAYER_TAR).hexdigest()}})),
        (hashlib.sha256(LAYER_TAR).hexdigest(), "dir", None),
        (layer_path, "file", LAYER_TAR),
        (hashlib.sha256(LAYER_TAR).hexdigest() + "/json", "file", b"{}"),
        ("alias.json", "symlink", "config.json"),
        ("copy.tar", "hardlink", layer_path),
    ]
    return tar_bytes(members, fmt=tarfile.USTAR_FORMAT)


def archive_reader():
    # Selector byte: read size (selector+1)*64.
    write("archive_reader", "oci_layout", b"\x07" + oci_archive())
    write("archive_reader", "docker_archive", b"\x00" + docker_archive())
    write("archive_reader", "docker_archive_gz", b"\x03" + gz(docker_archive()))
    write("archive_reader", "escape", b"\x01" + tar_bytes([("../x.json", "file", b"{}"),
                                                          ("a", "symlink", "/etc/passwd")]))
    write("archive_reader", "bad_blob", b"\x02" + tar_bytes([("blobs/sha256/" + "0" * 64, "file", b"x"),
                                                            ("loop", "symlink", "loop2"),
                                                            ("loop2", "symlink", "loop")]))


def unpack():
    # Selector byte: read size (selector+1)*64.
    write("unpack", "plain", b"\x00" + LAYER_TAR)
    write("unpack", "gzip", b"\x05" + LAYER)
    write("unpack", "whiteouts", b"\x01" + tar_bytes([
        ("etc", "dir", None), ("etc/.wh.passwd", "file", b""), ("usr", "dir", None),
        ("usr/.wh..wh..opq", "file", b""), ("usr/.wh..wh.plnk", "dir", None), ("usr/lib", "file", b"l")]))
    write("unpack", "links", b"\x02" + tar_bytes([
        ("a", "file", b"data"), ("b", "hardlink", "a"), ("c", "symlink", "a"), ("d", "symlink", "/etc"),
        ("e", "symlink", "../../.."), ("./f/../g", "file", b"x")]))
    write("unpack", "escape", b"\x03" + tar_bytes([
        ("up", "symlink", ".."), ("up/evil", "file", b"x"), ("/abs/ok", "file", b"y"),
        ("h", "hardlink", "../outside")]))
    write("unpack", "gnu", b"\x04" + tar_bytes([("long/" + "n" * 120, "file", b"gnu long name"),
                                               ("dir", "dir", None)], fmt=tarfile.GNU_FORMAT))


def http():
    reqs = {
        "ping": b"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n",
        "version": b"GET /v1.50/version HTTP/1.1\r\nHost: docker\r\n\r\nHEAD /_ping HTTP/1.1\r\nHost: d\r\n\r\n",
        "images": b"GET /v1.47/images/json?all=1&filters=%7B%22dangling%22%3A%5B%22true%22%5D%7D HTTP/1.1\r\n"
                  b"Host: docker\r\n\r\n",
        "inspect": b"GET /images/docker.io%2Flibrary%2Fbusybox:latest/json?platform=%7B%7D HTTP/1.1\r\nHost: d\r\n\r\n",
        "remove": b"DELETE /v1.50/images/busybox?force=1&platforms=%7B%22os%22%3A%22linux%22%7D HTTP/1.1\r\n"
                  b"Host: d\r\nConnection: close\r\n\r\n",
        "create": b"POST /v1.50/containers/create?name=x HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 37\r\n\r\n{\"Image\":\"busybox\",\"Cmd\":[\"true\"]}\r\n",
        "chunked": b"POST /v1.50/images/load?quiet=1 HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"5\r\nhello\r\n0\r\n\r\n",
        "tag": b"POST /v1.50/images/a/tag?repo=b&tag=c HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n\r\n",
        "old_version": b"GET /v1.12/info HTTP/1.1\r\nHost: d\r\n\r\n",
        "bad_escape": b"GET /images/%zz/json HTTP/1.1\r\nHost: d\r\n\r\n",
        "events": b"GET /events?since=0&until=1&filters=%7B%22type%22%3A%5B%22image%22%5D%7D HTTP/1.1\r\nHost: d\r\n\r\n",
        "why": b"GET /berth/v1/images/busybox/why HTTP/1.1\r\nHost: d\r\n\r\n",
        "df": b"GET /system/df?type=image HTTP/1.1\r\nHost: d\r\n\r\n",
    }
    for name, data in reqs.items():
        write("http", name, data)


def dockerfile():
    df = {
        "multistage": "# syntax=docker/dockerfile:1\nARG BASE=alpine:3.19\nFROM ${BASE} AS build\n"
                      "WORKDIR /src\nCOPY --chown=app:app . .\nRUN make && \\\n  # comment\n  make install\n"
                      "FROM scratch AS final\nCOPY --from=build /out /\nENTRYPOINT [\"/app\"]\n",
        "escape": "# escape=`\nFROM mcr/windows\nRUN dir c:\\ `\n  /s\nSHELL [\"powershell\", \"-c\"]\n",
        "env_forms": "FROM a\nENV A=1 B=\"x $A\" C='$A'\nENV OLD value with spaces\nLABEL \"k\"=v\n"
                     "ARG X Y=${A:-d}\nUSER ${Y:+u}\nEXPOSE $A 80/tcp\nVOLUME [\"/v\"]\nSTOPSIGNAL SIGTERM\n",
        "health": "FROM a\nHEALTHCHECK --interval=5s --retries=3 CMD curl -f http://x || exit 1\n"
                  "ONBUILD ADD . /app\nMAINTAINER someone\nCMD echo hi\n",
        "errors": "FROM a\nFOO bar\n",
        "heredoc": "FROM a\nRUN <<EOF\necho\nEOF\n",
        "patterns": "FROM a\nARG V=1.2.3\nENV MAJOR=${V%%.*} REST=${V#*.} DASHED=${V//./-}\n",
    }
    words = ["plain", "${X:-def}", "'sq'\"dq $X\"", "a\\ b", "${X:?msg}", "${X%%y*}${X#*x}", "${X//x/\\/}"]
    ignores = ["*.md\n!README.md\n**/node_modules\n# c\n/build/\n", "[a-z]?\n\\*x\n", "**\n!Dockerfile\n"]
    paths = ["docs/a.md", "README.md", "src/node_modules/x", "build/out"]
    for i, (name, text) in enumerate(sorted(df.items())):
        data = SEP.join([text.encode(), words[i % len(words)].encode(), ignores[i % len(ignores)].encode(),
                         paths[i % len(paths)].encode()])
        write("dockerfile", name, data)


def dns_name(name):
    out = b""
    for label in name.split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def dns_query(qid, name, qtype, qclass=1, flags=0x0100):
    return (qid.to_bytes(2, "big") + flags.to_bytes(2, "big") + b"\x00\x01\x00\x00\x00\x00\x00\x00" +
            dns_name(name) + qtype.to_bytes(2, "big") + qclass.to_bytes(2, "big"))


def dns_query_corpus():
    a, ptr, aaaa, mx = 1, 12, 28, 15
    write("dns_query", "a_name", dns_query(1, "web", a))
    write("dns_query", "a_alias_network", dns_query(2, "Frontend.apps.", a))
    write("dns_query", "a_short_id", dns_query(3, "0123456789ab", a))
    write("dns_query", "a_shared_alias", dns_query(4, "store", a))
    write("dns_query", "aaaa", dns_query(5, "db", aaaa))
    write("dns_query", "ptr", dns_query(6, "3.0.1.10.in-addr.arpa", ptr))
    write("dns_query", "forward", dns_query(7, "example.com", a))
    write("dns_query", "mx", dns_query(8, "web", mx))
    write("dns_query", "chaos", dns_query(9, "version.bind", 16, qclass=3))
    write("dns_query", "response", dns_query(10, "web", a, flags=0x8180))
    # A compression pointer in the question pointing at itself.
    write("dns_query", "pointer_loop", (11).to_bytes(2, "big") + b"\x01\x00\x00\x01" + b"\x00" * 6 + b"\xc0\x0c" +
          b"\x00\x01\x00\x01")
    # An EDNS OPT record in the additional section.
    write("dns_query", "edns", (12).to_bytes(2, "big") + b"\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01" +
          dns_name("web") + b"\x00\x01\x00\x01" + b"\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00")


def go_text():
    seeds = {
        "numbers": "-9223372036854775808\x01a+b%20c%2Fd\x01Zm9vYmFy",
        "range": "99999999999999999999x\x01%zz\x01Zm9vYg==",
        "bool": "True\x01%\x01-_-_",
        "sign": "+0042\x01%2\x01Zm9vYg=",
        "edges8": "256\x01%41\x01QQ==",
        "edges64": "18446744073709551616\x01+\x01QUI=",
        "quote": b"\xff\x7f\n\x01%e2%80%a8\x01Z",
    }
    for name, text in seeds.items():
        write("go_text", name, text)


def main():
    dns_query_corpus()
    go_text()
    reference()
    platform()
    oci()
    api_query()
    archive_reader()
    unpack()
    http()
    dockerfile()
    return 0


if __name__ == "__main__":
    sys.exit(main())
