#!/bin/bash
# counts.sh BIN OUTDIR : session 5's counts (corpus, /work/fleets, the unseen and heldout2 sets):
# the session 6 script restricted to the held-out sets session 5 had.
HELDOUT_DIRS="/work/fleets-unseen /work/fleets-heldout2" exec "$(dirname "$0")/../session6/counts.sh" "$@"
