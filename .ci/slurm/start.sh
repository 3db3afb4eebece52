#!/usr/bin/env bash
# Start a single-node SLURM cluster on localhost for tests and CI.
#
# Needs root (munged runs as user `munge`; slurmd starts jobs as the submitting user) and
# Debian's packages: apt-get install -y slurm-wlm slurm-client munge
# State and logs live in $SLURM_STATE_DIR (default: $TMPDIR/ecgbeats-slurm). The config must be
# /etc/slurm/slurm.conf: Snakemake's job step drops SLURM_CONF before calling srun inside a job,
# so srun only finds the default path. A slurm.conf that this script did not write (no marker
# line) is never overwritten. Stop with stop.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
state=${SLURM_STATE_DIR:-${TMPDIR:-/tmp}/ecgbeats-slurm}
ctld_port=${SLURM_CTLD_PORT:-6817}
slurmd_port=${SLURM_SLURMD_PORT:-6818}

say() { echo "start.sh: $*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
for tool in munged slurmctld slurmd sbatch squeue sinfo scontrol; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y slurm-wlm slurm-client munge)"
done

mkdir -p "$state/ctld" "$state/spool"
conf=/etc/slurm/slurm.conf
marker="# Written by ecgbeats .ci/slurm/start.sh"
if [ -e "$conf" ] && ! grep -qxF "$marker" "$conf"; then
    die "$conf exists and is not ours; refusing to overwrite a real cluster's config"
fi
unset SLURM_CONF

# munge: reuse a running munged, else start one (and remember to stop it).
if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge /etc/munge
    if [ ! -s /etc/munge/munge.key ]; then
        mungekey --create --keyfile=/etc/munge/munge.key
        chown munge:munge /etc/munge/munge.key
        chmod 0400 /etc/munge/munge.key
    fi
    runuser -u munge -- /usr/sbin/munged
    touch "$state/started-munged"
    for _ in $(seq 50); do
        munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break
        sleep 0.1
    done
    munge -n </dev/null | unmunge >/dev/null || die "munged does not answer"
fi

# Size the node to this machine (slurmd -C), keeping some memory for the OS and daemons.
node=$(slurmd -C | head -1)
cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$node")
mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node")
mem=$((mem > 2048 ? mem - 1024 : mem))
mkdir -p "$(dirname "$conf")"
{ echo "$marker"; sed -e "s|@STATE@|$state|g" -e "s|@USER@|$(id -un)|g" -e "s|@CPUS@|$cpus|g" \
    -e "s|@MEM@|$mem|g" -e "s|@CTLD_PORT@|$ctld_port|g" -e "s|@SLURMD_PORT@|$slurmd_port|g" \
    "$here/slurm.conf.in"; } >"$conf"

# Fresh state each start (-c): no jobs left over from an earlier run.
slurmctld -c -f "$conf"
slurmd -c -f "$conf" -N localhost

for _ in $(seq 120); do
    node_state=$(sinfo -h -N -o %T 2>/dev/null | head -1 || true)
    [ "$node_state" = idle ] && break
    sleep 0.5
done
[ "${node_state:-}" = idle ] || {
    tail -n 20 "$state/slurmctld.log" "$state/slurmd.log" >&2 || true
    die "node localhost is '${node_state:-unknown}', not idle, after 60 s"
}
say "cluster up: $cpus CPUs, $mem MB on node localhost, partition debug ($conf)"
