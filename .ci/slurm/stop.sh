#!/usr/bin/env bash
# Stop the cluster started by start.sh (same $SLURM_STATE_DIR): slurmd, slurmctld, and munged
# if start.sh started it. Safe to run when nothing is running.
set -uo pipefail

state=${SLURM_STATE_DIR:-${TMPDIR:-/tmp}/ecgbeats-slurm}

stop_pidfile() {  # pidfile: TERM, wait up to 10 s, then KILL
    local pidfile=$1 pid
    [ -s "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    rm -f "$pidfile"
}

# Cancel what is still queued or running on this cluster, so no job step outlives slurmd.
conf=/etc/slurm/slurm.conf
marker="# Written by ecgbeats .ci/slurm/start.sh"
if [ -s "$state/slurmctld.pid" ]; then
    unset SLURM_CONF
    jobs=$(squeue -h -o %i 2>/dev/null || true)
    if [ -n "$jobs" ]; then
        # shellcheck disable=SC2086
        scancel $jobs 2>/dev/null || true
        for _ in $(seq 50); do
            [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
            sleep 0.2
        done
    fi
fi
stop_pidfile "$state/slurmd.pid"
stop_pidfile "$state/slurmctld.pid"
if [ -e "$state/started-munged" ]; then
    stop_pidfile /run/munge/munged.pid
    rm -f "$state/started-munged"
fi
# Leave no config behind that would point SLURM clients at a stopped cluster.
if [ -e "$conf" ] && grep -qxF "$marker" "$conf"; then
    rm -f "$conf"
fi
echo "stop.sh: cluster stopped" >&2
