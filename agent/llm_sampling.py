"""Greedy-first grammar sampling for the embedded model (llama.cpp's sampler API).

llama-cpp-python puts the JSON-schema grammar in front of the sampler: every generated
token, the grammar checks all ~151k vocabulary entries before greedy picks the best one.
On this model and 2 cores that doubles the cost of a constrained token (57 ms against 26 ms
free, measured), and the router's answer is only constrained tokens.

With greedy decoding only the best token matters, so :class:`GreedyFirstGrammar` checks
that one first: if the grammar accepts it, greedy picks it and nothing else is checked; if
not, the whole vocabulary goes through the grammar, exactly as before. llama.cpp's own
``common_sampler`` does the same ("grammar_first" off). The output is identical to the full
check (greedy and numpy's ``argmax`` both take the first of equal maxima); tests compare the
two on the real model.

:func:`llama_class` returns a ``llama_cpp.Llama`` subclass that uses it whenever a grammar
meets greedy decoding; any other sampling keeps the library's chain.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import math
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

_FIELDS_PER_TOKEN = 3  # llama_token_data: id (int32), logit (float), p (float)


class GreedyFirstGrammar:
    """A llama.cpp sampler: the grammar checks greedy's choice first, all tokens if it fails.

    It sits between the penalties and the greedy sampler of a chain. It owns a stock grammar
    sampler and forwards ``accept`` and ``reset`` to it, so the grammar state advances with
    every token the chain picks.

    Attributes:
        checked_one: Tokens decided by checking only the best candidate.
        checked_all: Tokens for which the whole vocabulary went through the grammar.
    """

    def __init__(self, vocab: Any, grammar: str, root: str) -> None:
        import llama_cpp as lc

        self._lc = lc
        handle = lc.llama_sampler_init_grammar(vocab, grammar.encode("utf-8"), root.encode())
        if not handle:
            raise ValueError("llama.cpp rejected the grammar")
        self._grammar: Any = handle
        self._one = (lc.llama_token_data * 1)()
        self._single = lc.llama_token_data_array(data=self._one, size=1, selected=-1)
        self.checked_one = 0
        self.checked_all = 0
        # The callbacks must outlive the C side's pointers to them: keep references.
        self._callbacks = (
            lc.llama_sampler_i_apply(self._apply),
            lc.llama_sampler_i_accept(self._accept),
            lc.llama_sampler_i_reset(self._reset),
        )
        iface = lc.llama_sampler_i()
        iface.apply, iface.accept, iface.reset = self._callbacks
        self._iface = iface
        self._sampler = lc.llama_sampler()
        self._sampler.iface = ctypes.pointer(iface)
        self._sampler.ctx = None

    @property
    def pointer(self) -> Any:
        """The ``llama_sampler *`` to add to a chain (the chain must not free it)."""
        return ctypes.pointer(self._sampler)

    def _apply(self, _sampler: Any, cur_p: Any) -> None:
        # An exception cannot cross the C boundary: on any failure of the shortcut, the
        # grammar checks the whole vocabulary, so greedy never picks a refused token.
        try:
            if self._best_is_allowed(cur_p):
                self.checked_one += 1
                return  # unchanged: greedy picks the best token, which the grammar allows
        except Exception:  # noqa: BLE001 - see above; the full check below is always safe
            logger.exception("greedy-first grammar check failed; checking every token")
        self.checked_all += 1
        self._lc.llama_sampler_apply(self._grammar, cur_p)

    def _best_is_allowed(self, cur_p: Any) -> bool:
        array = cur_p.contents
        n = int(array.size)
        floats = ctypes.cast(array.data, ctypes.POINTER(ctypes.c_float))
        logits = np.ctypeslib.as_array(floats, shape=(n * _FIELDS_PER_TOKEN,))[1::3]
        self._one[0] = array.data[int(np.argmax(logits))]
        self._single.size, self._single.selected, self._single.sorted = 1, -1, False
        self._lc.llama_sampler_apply(self._grammar, ctypes.byref(self._single))
        return not math.isinf(self._one[0].logit)

    def _accept(self, _sampler: Any, token: int) -> None:
        self._lc.llama_sampler_accept(self._grammar, token)

    def _reset(self, _sampler: Any) -> None:
        self._lc.llama_sampler_reset(self._grammar)

    def close(self) -> None:
        """Free the owned grammar sampler (after the chain no longer holds this one)."""
        if self._grammar is not None:
            self._lc.llama_sampler_free(self._grammar)
            self._grammar = None


def greedy_grammar_chain(llama: Any, grammar: Any, *, penalties: dict[str, float]) -> Any:
    """Build ``penalties -> GreedyFirstGrammar -> greedy`` as a llama-cpp-python sampler.

    Args:
        llama: The ``llama_cpp.Llama`` the chain samples for.
        grammar: A ``llama_cpp.LlamaGrammar``.
        penalties: ``repeat_penalty``, ``frequency_penalty`` and ``presence_penalty``.
    """
    import llama_cpp as lc
    from llama_cpp import _internals

    chain: Any = _internals.LlamaSampler()  # type: ignore[no-untyped-call]
    chain.add_penalties(
        n_vocab=llama._n_vocab,
        penalty_last_n=llama.last_n_tokens_size,
        penalty_repeat=penalties["repeat_penalty"],
        penalty_freq=penalties["frequency_penalty"],
        penalty_present=penalties["presence_penalty"],
    )
    first = GreedyFirstGrammar(llama._model.vocab, grammar._grammar, grammar._root)
    lc.llama_sampler_chain_add(chain.sampler, first.pointer)
    # The chain's own cleanup removes listed custom samplers before freeing itself; the
    # owned grammar sampler is freed first (the exit stack runs callbacks last-in first-out).
    chain.custom_samplers.append((lc.llama_sampler_chain_n(chain.sampler) - 1, first))
    chain._exit_stack.callback(first.close)
    chain.add_greedy()
    return chain


@functools.cache
def llama_class() -> type:
    """``llama_cpp.Llama`` with greedy-first grammar checks (llama-cpp-python must be installed)."""
    from llama_cpp import Llama

    class GreedyGrammarLlama(Llama):  # type: ignore[misc]
        """``Llama`` whose constrained greedy decoding checks the grammar lazily."""

        def _init_sampler(self, *args: Any, **kwargs: Any) -> Any:
            grammar = kwargs.get("grammar")
            plain = (
                args  # the library passes keywords only; anything else keeps its chain
                or grammar is None
                or kwargs.get("temp", 0.8) != 0.0
                or kwargs.get("logits_processor") is not None
                or kwargs.get("mirostat_mode", 0) != 0
            )
            if plain:
                return super()._init_sampler(*args, **kwargs)
            penalties = {
                name: float(kwargs.get(name, default))
                for name, default in (
                    ("repeat_penalty", 1.0),
                    ("frequency_penalty", 0.0),
                    ("presence_penalty", 0.0),
                )
            }
            return greedy_grammar_chain(self, grammar, penalties=penalties)

    return GreedyGrammarLlama
