#!/usr/bin/env bash
# Remote reads (issue 13, item 4): a synthesised archive served by nginx on 127.0.0.1 with
# range requests, read by sitewatch through /vsicurl/ from a list file of http:// URLs and
# from a STAC ItemCollection (itself fetched over http) whose hrefs are http:// URLs.
# Checks: the site_counts, detections and scenes tables equal those of the local run (the
# scenes table but for its path column), and the bytes nginx served (its access log's
# $body_bytes_sent) stay well under the archive's size: only the file headers, the blocks
# of the windows the sites need and the last block of every band (the truncation check,
# docs/SCENES.md) are read.
#
#   tests/remote/remote_read_test.sh SITEWATCH SOURCE_DIR [--keep DIR]
#
# Needs nginx (Debian's package; installed with apt-get when missing and this user may).
# Where it cannot be had, prints one line "remote read test skipped: ..." and exits 77,
# which ctest reports as skipped (SKIP_RETURN_CODE). docs/TESTING.md, docs/SCENES.md.
set -euo pipefail

bin=$(realpath "$1")
src=$(realpath "$2")
keep=""
[[ "${3:-}" == "--keep" ]] && keep=$4

# Bytes served must stay under this fraction of the archive's size in each remote run.
# Measured (2026-12-02, GDAL 3.6.2, nginx 1.22.1, 6 dates at scale 0.2, 80 MB): 0.197 to 0.221
# of the archive in every run: 11-24 % of each full scene (the tiles under the sites' windows
# and the grid margin, the header, the truncation check's last block), all of each clipped
# product (which is the sites' window plus 300 m by design) and of the metadata JSONs. 0.30
# leaves half as much again for GDAL's read-ahead (/vsicurl/ doubles its request size on
# sequential reads) and for reads of one tile by two handles at once. The bound is for the
# default archive (SW_REMOTE_SCALE / SW_REMOTE_DATES change it, for measuring only).
max_fraction=0.30

skip() {
  echo "remote read test skipped: $*"
  exit 77
}

# ---- nginx --------------------------------------------------------------------------------
find_nginx() { command -v nginx || { [[ -x /usr/sbin/nginx ]] && echo /usr/sbin/nginx; } || true; }
nginx_bin=$(find_nginx)
if [[ -z "$nginx_bin" ]]; then
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    sudo -n true 2>/dev/null || skip "nginx is not installed and this user cannot install it (apt-get install nginx)"
    sudo_cmd=(sudo -n)
  fi
  command -v apt-get >/dev/null || skip "nginx is not installed and there is no apt-get"
  echo "installing nginx (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  if ! "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends nginx >/dev/null 2>&1; then
    "${sudo_cmd[@]}" apt-get update -qq >/dev/null 2>&1 || true
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends nginx >/dev/null 2>&1 ||
      skip "nginx is not installed and apt-get install nginx failed (offline?)"
  fi
  nginx_bin=$(find_nginx)
  [[ -n "$nginx_bin" ]] || skip "apt-get installed nginx but no nginx binary was found"
fi

tmp=$(mktemp -d)
nginx_pid=""
cleanup() {
  if [[ -n "$nginx_pid" ]]; then
    kill "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
  fi
  if [[ -n "$keep" ]]; then
    rm -rf "$keep" && cp -a "$tmp" "$keep" && echo "kept in $keep"
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start=$(date +%s.%N)

# ---- the archive --------------------------------------------------------------------------
"$bin" synth --out "$tmp/archive" --dates "${SW_REMOTE_DATES:-6}" --scale "${SW_REMOTE_SCALE:-0.2}" -q
scenes=$tmp/archive/scenes
std=(--sites "$tmp/archive/sites.geojson" --config "$tmp/archive/config.toml" -q)

# ---- the server ---------------------------------------------------------------------------
mkdir -p "$tmp/nginx" "$tmp/catalog"
free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
write_conf() {
  local user_line=""
  # workers run as nobody by default, who may not read a 0700 temporary folder
  [[ $(id -u) -eq 0 ]] && user_line="user root;"
  cat >"$tmp/nginx/nginx.conf" <<EOF
$user_line
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 256; }
http {
  log_format served '\$request_method \$uri \$status \$body_bytes_sent "\$http_range"';
  access_log $tmp/nginx/access.log served;
  client_body_temp_path $tmp/nginx/client_body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  default_type application/octet-stream;
  types { image/tiff tif; application/json json; text/plain txt; }
  server {
    listen 127.0.0.1:$port;
    root $scenes;
    location /catalog/ { alias $tmp/catalog/; }
  }
}
EOF
}
for attempt in 1 2 3; do  # a port taken between the probe and nginx's bind: another one
  port=$(free_port)
  write_conf
  # under timeout: should this script be killed outright (ctest's TIMEOUT), nginx still ends
  timeout 600 "$nginx_bin" -p "$tmp/nginx" -e "$tmp/nginx/error.log" -c "$tmp/nginx/nginx.conf" &
  nginx_pid=$!
  if /usr/bin/python3 - "$port" <<'EOF'; then break; fi
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
  kill "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
  nginx_pid=""
  ((attempt < 3)) || { cat "$tmp/nginx/error.log" >&2; echo "nginx did not start" >&2; exit 1; }
done
url=http://127.0.0.1:$port
echo "nginx $($nginx_bin -v 2>&1 | sed 's/.*: //') on $url, root $scenes"

# ---- what is served, and what each run took from it ---------------------------------------
total=$(find "$scenes" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
log_lines() { if [[ -f "$tmp/nginx/access.log" ]]; then wc -l <"$tmp/nginx/access.log"; else echo 0; fi; }
declare -A bytes requests probes
fail=0

# NAME [VAR=VALUE ...] -- ARGS: `sitewatch run ARGS` (with the archive's sites and config,
# the environment given), which must finish with every scene done (exit 0). For a remote
# run, what nginx served for the archive's files meanwhile (not /catalog/): bytes, requests,
# and requests answered 404 (GDAL looking for sidecars that are not there).
run() {
  local name=$1 env=() rc=0 mark
  shift
  while [[ $1 != -- ]]; do env+=("$1"); shift; done
  shift
  mark=$(log_lines)
  t0=$(date +%s%N)
  env "${env[@]}" "$bin" run "$@" --out "$tmp/$name.gpkg" --csv "$tmp/$name" "${std[@]}" || rc=$?
  if ((rc != 0)); then
    echo "FAIL: $name: sitewatch run $* exited $rc" >&2
    exit 1
  fi
  echo "$name: run took $((($(date +%s%N) - t0) / 1000000)) ms"
  read -r "bytes[$name]" "requests[$name]" "probes[$name]" < <(
    tail -n +"$((mark + 1))" "$tmp/nginx/access.log" |
      awk '$2 !~ /^\/catalog\// {b += $4; n += 1; if ($3 == 404) p += 1}
           END {printf "%d %d %d\n", b, n, p}')
}

# GDAL's own setting would decide the sidecar lookups measured here: left to sitewatch.
unset GDAL_DISABLE_READDIR_ON_OPEN

run local -- --scenes "$scenes"

# A list file of every file's URL, as an object store lists a prefix (one metadata JSON sits
# in another folder than its data, so looking beside the data would not find it).
(cd "$scenes" && find . -type f | sort | sed "s|^\./|$url/|") >"$tmp/list.txt"
run list -- --scenes "$tmp/list.txt"

# A STAC ItemCollection on the server, hrefs absolute http URLs, the metadata in STAC's names.
/usr/bin/python3 - "$scenes" "$url" "$tmp/catalog/items.json" <<'EOF'
import json, os, re, sys
scenes, url, out = sys.argv[1:]
items = {}
for root, _, files in os.walk(scenes):
    for f in files:
        m = re.match(r"(\d{8}_\d{6}(?:_\d{2})?_[0-9a-z]{4})_(.*)$", f, re.I)
        if not m:
            continue
        rel = os.path.relpath(os.path.join(root, f), scenes)
        role = ("data" if "_AnalyticMS" in m.group(2) else
                "udm2" if "udm2" in m.group(2) else
                "metadata" if m.group(2) == "metadata.json" else None)
        if role:
            items.setdefault(m.group(1), {})[role] = rel
features = []
for iid, files in sorted(items.items()):
    item = {"type": "Feature", "stac_version": "1.0.0", "id": iid, "geometry": None}
    if "metadata" in files:
        with open(os.path.join(scenes, files["metadata"])) as f:
            meta = json.load(f)
        p = meta["properties"]
        props = {"datetime": p["acquired"], "platform": p["satellite_id"],
                 "pl:item_type": p["item_type"], "instruments": [p["instrument"]],
                 "pl:quality_category": p["quality_category"],
                 "eo:cloud_cover": p["cloud_cover"] * 100.0,
                 "pl:clear_percent": p["clear_percent"], "gsd": p["gsd"],
                 "view:off_nadir": p["view_angle"], "view:sun_elevation": p["sun_elevation"]}
        item["geometry"] = meta["geometry"]
    else:  # the time the id gives, as the folder run takes it
        props = {"datetime": "%s-%s-%sT%s:%s:%sZ" % (iid[0:4], iid[4:6], iid[6:8],
                                                      iid[9:11], iid[11:13], iid[13:15])}
    item["properties"] = props
    key = "ortho_analytic_8b_sr" if "_8b" in files["data"] else "ortho_analytic_4b_sr"
    item["assets"] = {key: {"href": f"{url}/{files['data']}", "roles": ["data"]}}
    if "udm2" in files:
        item["assets"]["ortho_udm2"] = {"href": f"{url}/{files['udm2']}", "roles": ["cloud"]}
    features.append(item)
with open(out, "w") as f:
    json.dump({"type": "FeatureCollection", "features": features}, f, indent=1)
EOF
run stac -- --scenes "$url/catalog/items.json"

# The same list fetched over http itself, and GDAL_DISABLE_READDIR_ON_OPEN=NO set by the user,
# which sitewatch leaves alone: GDAL then asks for every sidecar it knows (the 404s).
cp "$tmp/list.txt" "$tmp/catalog/list.txt"
run list_readdir GDAL_DISABLE_READDIR_ON_OPEN=NO -- --scenes "$url/catalog/list.txt"

# ---- the tables ---------------------------------------------------------------------------
for form in list stac list_readdir; do
  for table in site_counts detections scenes; do
    # the scenes table is not in the CSVs: read from the GeoPackages, its paths set aside
    a=$tmp/local/$table.csv b=$tmp/$form/$table.csv ignore=""
    [[ $table == scenes ]] && a=$tmp/local.gpkg b=$tmp/$form.gpkg ignore=path
    if ! /usr/bin/python3 "$src/scripts/compare_tables.py" --table "$table" --ignore "$ignore" \
      "$a" "$b" >"$tmp/compare-$form-$table.txt"; then
      echo "FAIL: $form: $table differs from the local run's:" >&2
      head -20 "$tmp/compare-$form-$table.txt" >&2
      fail=1
    else
      echo "$form: $table identical to the local run's ($(tail -1 "$tmp/compare-$form-$table.txt"))"
    fi
  done
done

# ---- the bytes and the requests -----------------------------------------------------------
for form in list stac list_readdir; do
  b=${bytes[$form]} n=${requests[$form]} p=${probes[$form]}
  /usr/bin/python3 -c 'import sys
name, b, n, p, t, f = sys.argv[1:]
print(f"{name}: {int(b)} bytes served in {n} requests ({p} answered 404), "
      f"{int(b) / int(t):.3f} of the archive ({t} bytes; bound {f})")
sys.exit(0 if int(b) < float(f) * int(t) else 1)' "$form" "$b" "$n" "$p" "$total" "$max_fraction" ||
    { echo "FAIL: $form: more than $max_fraction of the archive served" >&2; fail=1; }
done
for form in list stac; do
  if ((probes[$form] != 0)); then
    echo "FAIL: $form: ${probes[$form]} requests for files that do not exist (sidecar lookups)" >&2
    fail=1
  fi
done
if ((probes[list_readdir] == 0)); then
  echo "FAIL: list_readdir: no sidecar lookups with GDAL_DISABLE_READDIR_ON_OPEN=NO: is the" \
    "user's setting overridden?" >&2
  fail=1
fi
if ! grep -q ' 206 ' "$tmp/nginx/access.log"; then
  echo "FAIL: no range request (206) in the access log" >&2
  fail=1
fi

echo "wall time $(/usr/bin/python3 -c "import sys, time; print(f'{time.time() - float(sys.argv[1]):.1f}')" "$start") s"
exit $fail
