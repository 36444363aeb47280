#!/usr/bin/env python3
"""Writes a docker-load archive (OCI layout plus Docker's manifest.json) of
synthetic images, for benchmarks that feed the same archive to berth and to
containerd.

  make_archive.py OUT --images N [--layers L] [--layer-bytes B] [--prefix NAME]

Image i is named PREFIX-i:latest (PREFIX defaults to bench/img) and has L
uncompressed layers of B random bytes each (one file per layer), so images
share nothing. Prints the total bytes written.
"""
import argparse
import hashlib
import io
import json
import os
import tarfile


def layer_tar(index, nbytes):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        data = os.urandom(nbytes)
        info = tarfile.TarInfo(f"data/file-{index}")
        info.size = len(data)
        info.mtime = 0
        t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def add_blob(tar, data, seen):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    if digest not in seen:
        info = tarfile.TarInfo("blobs/sha256/" + digest[7:])
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        seen.add(digest)
    return digest


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--images", type=int, default=1)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--layer-bytes", type=int, default=1024)
    ap.add_argument("--prefix", default="bench/img")
    a = ap.parse_args()
    seen = set()
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}
    docker_manifest = []
    with tarfile.open(a.out, "w", format=tarfile.PAX_FORMAT) as tar:
        for i in range(a.images):
            layers, diff_ids, layer_paths = [], [], []
            for l in range(a.layers):
                data = layer_tar(i * a.layers + l, a.layer_bytes)
                d = add_blob(tar, data, seen)
                layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": len(data)})
                diff_ids.append(d)
                layer_paths.append("blobs/sha256/" + d[7:])
            config = json.dumps({
                "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
                "config": {"Cmd": ["/bin/true"], "Labels": {"bench.index": str(i)}},
                "rootfs": {"type": "layers", "diff_ids": diff_ids},
                "history": [{"created": "2024-01-01T00:00:00Z", "created_by": f"layer {l}"} for l in range(a.layers)],
            }, separators=(",", ":")).encode()
            cd = add_blob(tar, config, seen)
            manifest = json.dumps({
                "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": len(config)},
                "layers": layers,
            }, separators=(",", ":")).encode()
            md = add_blob(tar, manifest, seen)
            name = f"docker.io/{a.prefix}-{i}:latest"
            index["manifests"].append({
                "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": len(manifest),
                "annotations": {"io.containerd.image.name": name, "org.opencontainers.image.ref.name": "latest"},
            })
            docker_manifest.append({"Config": "blobs/sha256/" + cd[7:], "RepoTags": [f"{a.prefix}-{i}:latest"],
                                    "Layers": layer_paths})
        for fname, obj in (("oci-layout", {"imageLayoutVersion": "1.0.0"}), ("index.json", index),
                           ("manifest.json", docker_manifest)):
            data = json.dumps(obj, separators=(",", ":")).encode()
            info = tarfile.TarInfo(fname)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    print(os.path.getsize(a.out))


if __name__ == "__main__":
    main()
