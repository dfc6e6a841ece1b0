"""screener: a terminal workbench for systematic reviews."""

import os

# numpy's BLAS would start a thread per core for the ranking model's small linear solves;
# on a busy machine those threads spin against each other (a simulation ran ten times
# slower). One thread, unless the user chose otherwise; set before numpy is imported.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

__version__ = "0.1.0"
