#!/usr/bin/env bash
# What `make test` needs from the machine besides Python: Debian's Chromium for the page tests
# and a CJK font so that Chinese renders in their screenshots, and nginx to check the shipped
# site (deploy/nginx) with `nginx -t`, and Node.js with npm for the cadres' mini-program
# (miniprogram/: its builds, unit tests and type check). Installed here when missing and possible (root with
# apt-get); otherwise stop and say the one command to run.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "安装测试所需的系统软件包：${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
  exit 0
fi

echo "测试需要 Chromium、中文字体、nginx 与 Node.js（npm），请先执行：" >&2
echo "  sudo apt-get install -y ${missing[*]}" >&2
exit 1
