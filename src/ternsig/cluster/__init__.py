"""One brain over many processes: ``mpiexec -n N ternsig brain run DIR`` (MPI ranks).

``plan`` decides which regions a rank runs and in which stages, ``comm`` is the thin layer over
the message-passing library (mpi4py is imported only when a run is under ``mpiexec``), ``tick``
runs one tick with the same results as one process, ``launch`` is the ``brain run`` entry point.
"""
