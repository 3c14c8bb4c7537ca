"""The Winograd F(m, 3) transforms (Lavin & Gray, 2015) and their error factor.

For a 1-D correlation of ``alpha = m + 2`` inputs ``d`` with a 3-tap filter ``g``,
``y = AT @ ((G @ g) * (BT @ d))`` gives the ``m`` outputs with ``alpha``
multiplies instead of ``3 m``; in 2-D, ``Y = AT ((G g G^T) * (BT d B)) A``
(``B = BT^T``, ``A = AT^T``) gives an m x m output tile with ``alpha^2``
multiplies instead of ``9 m^2``: 2.25x fewer for F(2,3), 4x for F(4,3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Winograd:
    """The F(m, 3) matrices: BT (alpha x alpha), G (alpha x 3), AT (m x alpha)."""

    m: int
    BT: np.ndarray
    G: np.ndarray
    AT: np.ndarray

    @property
    def alpha(self) -> int:
        """The input tile's side, m + 2."""
        return self.m + 2

    def filter_transform(self, hwcf: np.ndarray) -> np.ndarray:
        """U[a*alpha + b, c, f] = (G w[:, :, c, f] G^T)[a, b], computed in float64."""
        g = self.G.astype(np.float64)
        u = np.einsum("ak,klcf,bl->abcf", g, hwcf.astype(np.float64), g)
        return u.reshape(self.alpha * self.alpha, *hwcf.shape[2:])

    def error_factor(self) -> float:
        """max_ij sum_ab |AT_ia||AT_jb| (|G| 1 |G|^T)_ab (|BT| 1 |B|)_ab.

        The worst-case growth of the transforms: with every |g| <= gmax and
        |d| <= dmax, the rounding error of one output of F(m,3) over C
        channels is bounded to first order by
        ``eps * (C + 6) * error_factor() * gmax * dmax`` (eps = 2^-24), against
        ``eps * 9C * gmax * dmax`` for the direct convolution (the sum of
        9C products). See the README's Winograd section.
        """
        gu = np.abs(self.G).sum(axis=1)
        bu = np.abs(self.BT).sum(axis=1)
        ab = np.outer(gu, gu) * np.outer(bu, bu)
        at = np.abs(self.AT)
        return float(np.max(np.einsum("ia,jb,ab->ij", at, at, ab)))


F23 = Winograd(
    2,
    BT=np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], np.float64),
    G=np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], np.float64),
    AT=np.array([[1, 1, 1, 0], [0, 1, -1, -1]], np.float64),
)

F43 = Winograd(
    4,
    BT=np.array(
        [
            [4, 0, -5, 0, 1, 0],
            [0, -4, -4, 1, 1, 0],
            [0, 4, -4, -1, 1, 0],
            [0, -2, -1, 2, 1, 0],
            [0, 2, -1, -2, 1, 0],
            [0, 4, 0, -5, 0, 1],
        ],
        np.float64,
    ),
    G=np.array(
        [
            [1 / 4, 0, 0],
            [-1 / 6, -1 / 6, -1 / 6],
            [-1 / 6, 1 / 6, -1 / 6],
            [1 / 24, 1 / 12, 1 / 6],
            [1 / 24, -1 / 12, 1 / 6],
            [0, 0, 1],
        ],
        np.float64,
    ),
    AT=np.array(
        [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]],
        np.float64,
    ),
)

TRANSFORMS = {2: F23, 4: F43}
