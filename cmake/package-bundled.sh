#!/bin/sh
# package-bundled.sh <binary> <artifact-dir>
# The packaging style of aws-lambda-cpp's packager: the binary in bin/, every shared library
# that ldd resolves (libc included) plus the dynamic loader in lib/, and a bootstrap script
# that runs the binary through that loader. It makes the artifact independent of the host's
# libraries, at the price of a shell and a loader on every cold start.
set -eu
bin=$1
out=$2
name=$(basename "$bin")

rm -rf "$out/lib" "$out/bootstrap"
mkdir -p "$out/lib" "$out/bin"
if [ "$(cd "$(dirname "$bin")" && pwd)" != "$(cd "$out/bin" && pwd)" ]; then
    cp -f "$bin" "$out/bin/$name"
fi

loader=
# ldd lines: "libfoo.so.1 => /path/libfoo.so.1 (0x...)", "/lib64/ld-linux-x86-64.so.2 (0x...)",
# "linux-vdso.so.1 (0x...)" (virtual: nothing to copy).
ldd "$bin" | while read -r first second third _; do
    case "$second" in
        "=>")
            case "$third" in
                /*) cp -L "$third" "$out/lib/" ;;
                *) echo "package-bundled: $first not found by ldd" >&2; exit 1 ;;
            esac ;;
        *)
            case "$first" in
                /*) cp -L "$first" "$out/lib/$(basename "$first")" ;;
            esac ;;
    esac
done

loader=$(ls "$out/lib" | grep '^ld-linux' | head -n 1 || true)
if [ -z "$loader" ]; then
    echo "package-bundled: $bin has no dynamic loader (is it static?)" >&2
    exit 1
fi

# ${0%/*} instead of $(dirname "$0"): no extra process on the cold-start path.
cat > "$out/bootstrap" <<SCRIPT
#!/bin/sh
if [ -n "\${LAMBDA_TASK_ROOT:-}" ]; then root=\$LAMBDA_TASK_ROOT
else case \$0 in */*) root=\${0%/*} ;; *) root=. ;; esac
fi
exec "\$root/lib/$loader" --library-path "\$root/lib" "\$root/bin/$name" "\$@"
SCRIPT
chmod 0755 "$out/bootstrap"
