"""kiln's fuzzer: mutated lit tests and generated linalg functions, each case isolated.

    python -m kiln.tools.fuzz --minutes 10            # a long run; findings to test/fuzz
    python -m kiln.tools.fuzz --cases 40 --seed 3     # a fixed number of cases

Cases (``runner.cases``) are mutants of the lit corpus (``mutate``) run through
``kiln-opt --kiln-pipeline=cpu``, their own test's pipeline or ``kiln-compile
--target=cuda --emit=ptx``, and generated functions (``generate``) compiled and
run against numpy (or run through the same tools). Each ends as ok (output or
a clean diagnostic), rejected (a valid generated function refused with a kiln
error), crash (a signal), bug (a Python traceback or an internal error), wrong
(differs from numpy) or timeout (``outcome``). The first case of each failure
signature is minimized by lines and written as a lit test (``minimize``) whose
oracle is ``kiln.tools.fuzz.check``.
"""
