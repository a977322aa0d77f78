"""Where a model's codes lie: a Gaussian mixture over codes, to draw new codes (and so new digits) from.

A plain autoencoder's codes fill an irregular region that no fixed distribution describes: codes
drawn from N(0, I) decode to smudges. A mixture fitted to the training codes (scikit-learn's
GaussianMixture, full covariances) draws codes where the decoder has learnt digits. A VAE's prior
is the one-component standard normal; its fitted mixture is used instead when it describes held-out
codes better (it usually does: the codes of a trained VAE do not fill its prior evenly).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from aegui.core.errors import Cancelled

MAX_COMPONENTS = 100
MAX_CODE_MAGNITUDE = 1e4  # codes a model makes are far smaller: a density reaching past this is refused
MIN_SPREAD = 1e-6
FIT_SAMPLES = 10_000  # codes the mixture is fitted to
CLASS_FIT_SAMPLES = 20_000  # codes when each class has its own components (each fit is a class's alone)
# samples x components x code size², which EM's time per iteration grows with: 10,000 codes of 32 values and 75
# components take ~13 s on one core. Judge share of the digits drawn (issue 15): the vae preset's 16-value codes,
# 10 components 0.80, 50 0.88, 100 0.89; the default preset's 32-value codes, 25 components 0.78, 50 0.82, 75 0.84.
FIT_BUDGET = 10_000 * 75 * 32**2
MAX_ITERATIONS = 100
TOLERANCE = 1e-2  # EM stops when an iteration raises the mean log-likelihood per code by less
FIT_STEP = 10
CODES_PER_DIMENSION = 4  # a component's covariance needs data: at least 4 x (code size + 1) codes each
QUANTILE_SAMPLES = 20_000
SOURCES = ("prior", "mixture", "gaussian")


@dataclass(frozen=True)
class CodeDensity:
    """A mixture of Gaussians over codes of `weights.shape[0]` components."""

    weights: torch.Tensor  # (K,), positive, summing to 1
    means: torch.Tensor  # (K, D)
    scale_tril: torch.Tensor  # (K, D, D): each covariance's lower Cholesky factor
    source: str = "mixture"  # "prior": a VAE's standard normal; "mixture": fitted to training codes; "gaussian"

    @classmethod
    def standard_normal(cls, size: int) -> CodeDensity:
        return cls(torch.ones(1), torch.zeros(1, size), torch.eye(size).unsqueeze(0), "prior")

    @classmethod
    def gaussian(cls, codes: np.ndarray) -> CodeDensity:
        """One Gaussian with the codes' mean and covariance (quick: no fitting library, no iterations)."""
        codes = np.asarray(codes, np.float64).reshape(len(codes), -1)
        covariance = np.atleast_2d(np.cov(codes, rowvar=False)) + 1e-5 * np.eye(codes.shape[1])
        return cls(torch.ones(1), torch.as_tensor(codes.mean(0, keepdims=True), dtype=torch.float32),
                   torch.as_tensor(np.linalg.cholesky(covariance)[None], dtype=torch.float32), "gaussian")  # fmt: skip

    @property
    def code_size(self) -> int:
        return self.means.shape[1]

    @property
    def components(self) -> int:
        return self.means.shape[0]

    def describe(self) -> str:
        if self.source == "prior":
            return "the VAE's prior N(0, I)"
        if self.source == "gaussian":
            return "one Gaussian with the codes' mean and covariance"
        return f"a {self.components}-component Gaussian mixture fitted to the training codes"

    def sample(self, count: int, generator: torch.Generator | None = None, temperature: float = 1.0) -> torch.Tensor:
        """(count, D) codes; `temperature` scales each component's spread."""
        if not (math.isfinite(temperature) and 0.0 <= temperature <= 10.0):
            raise ValueError(f"The temperature must be between 0 and 10, not {temperature!r}.")
        if count == 0:
            return torch.zeros(0, self.code_size)
        chosen = torch.multinomial(self.weights, count, replacement=True, generator=generator)
        noise = torch.randn(count, self.code_size, 1, generator=generator)
        return self.means[chosen] + temperature * (self.scale_tril[chosen] @ noise).squeeze(-1)

    def near(self, code: np.ndarray, count: int, generator: torch.Generator | None = None,
             spread: float = 0.5) -> torch.Tensor:  # fmt: skip
        """Codes around `code`, spread like the component that most likely holds it (scaled by `spread`)."""
        centre = torch.as_tensor(np.asarray(code, np.float32)).reshape(1, -1)
        component = int(self._components_log_prob(centre).argmax())
        noise = torch.randn(count, self.code_size, 1, generator=generator)
        return centre + spread * (self.scale_tril[component] @ noise).squeeze(-1)

    def _components_log_prob(self, codes: torch.Tensor) -> torch.Tensor:
        """(N, K): log of each component's weight times its density at each code."""
        normal = torch.distributions.MultivariateNormal(self.means, scale_tril=self.scale_tril)
        return normal.log_prob(codes.unsqueeze(1)) + self.weights.log()

    def log_prob(self, codes: torch.Tensor) -> torch.Tensor:
        return torch.logsumexp(self._components_log_prob(codes.to(torch.float32)), dim=1)

    def quantile_grid(self, side: int, seed: int = 0) -> np.ndarray:
        """A side x side grid over a 2-D code plane, spaced by this density's marginal quantiles (as
        Kingma & Welling's figure 4 spaces its grid by the prior's), rows top to bottom."""
        generator = torch.Generator().manual_seed(seed)
        return quantile_grid(self.sample(QUANTILE_SAMPLES, generator).numpy(), side)

    def to_state(self) -> dict[str, torch.Tensor]:
        return {"weights": self.weights, "means": self.means, "scale_tril": self.scale_tril}


def quantile_grid(codes: np.ndarray, side: int) -> np.ndarray:
    """(side*side, 2) codes: each axis at the quantiles (i + 0.5) / side of `codes` (N, 2); the first
    row is the top (the largest second value), as an image's rows go."""
    if codes.ndim != 2 or codes.shape[1] != 2:
        raise ValueError(f"The manifold grid needs a 2-value code; these codes have {codes.shape[-1]} values.")
    levels = (np.arange(side) + 0.5) / side
    xs = np.quantile(codes[:, 0], levels)
    ys = np.quantile(codes[:, 1], levels)[::-1]
    grid_x, grid_y = np.meshgrid(xs, ys)
    return np.stack([grid_x.ravel(), grid_y.ravel()], axis=1).astype(np.float32)


def fit_density(codes: np.ndarray, held_out: np.ndarray | None = None, variational: bool = False,
                components: int = MAX_COMPONENTS, seed: int = 0, cancelled: Callable[[], bool] = lambda: False,
                labels: np.ndarray | None = None) -> CodeDensity:  # fmt: skip
    """A Gaussian mixture fitted to `codes` (N, D): up to `components`, fewer for long codes (time) or few
    codes (data). With the codes' class `labels`, each class gets its own share of the components, fitted
    to its codes alone and weighted by its share of the codes: no component then spans two classes, and
    fewer drawn codes fall between them (issue 30: the judge read 0.916 of the vae preset's digits, not
    0.900, and 0.87 of the default's, not 0.84). For a VAE, whichever of the mixture and the prior gives the
    held-out codes the higher likelihood. `cancelled` is asked every few iterations; when it says True,
    `Cancelled` is raised."""
    codes = np.asarray(codes, np.float64)
    if len(codes) < 2 or not np.isfinite(codes).all():
        raise ValueError("A code density needs at least two finite codes.")
    labels = np.zeros(len(codes), np.int64) if labels is None else np.asarray(labels).reshape(-1)
    if len(labels) != len(codes):
        raise ValueError(f"{len(labels)} labels for {len(codes)} codes.")
    # a class each (unless there are more classes than components): each fit far smaller, so twice the codes
    by_class = 1 < len(_class_groups(labels, codes.shape[1])) <= min(components, MAX_COMPONENTS)
    most = CLASS_FIT_SAMPLES if by_class else FIT_SAMPLES
    if len(codes) > most:
        chosen = np.random.default_rng(seed).choice(len(codes), most, replace=False)
        codes, labels = codes[chosen], labels[chosen]
    groups = _class_groups(labels, codes.shape[1]) if by_class else [np.arange(len(codes))]
    weights, means, scale_trils = [], [], []
    for group in groups:
        share = len(group) / len(codes)
        count = _components_for(len(group), codes.shape[1], components // len(groups))
        weight, mean, scale_tril = _fit_mixture(codes[group], count, seed, cancelled)
        weights.append(share * weight)
        means.append(mean)
        scale_trils.append(scale_tril)
    weight = np.concatenate(weights)  # (small classes left out of every group: the shares no longer sum to one)
    fitted = CodeDensity(
        torch.as_tensor(weight / weight.sum(), dtype=torch.float32),
        torch.as_tensor(np.concatenate(means), dtype=torch.float32),
        torch.as_tensor(np.concatenate(scale_trils), dtype=torch.float32),
    )
    if not variational:
        return fitted
    prior = CodeDensity.standard_normal(codes.shape[1])
    check = torch.as_tensor(held_out if held_out is not None else codes, dtype=torch.float32)
    return fitted if fitted.log_prob(check).mean() >= prior.log_prob(check).mean() else prior


def _components_for(count: int, size: int, wanted: int) -> int:
    """Components for `count` codes of `size` values: at most `wanted`, fewer where EM would take too long or a
    component's covariance would have too few codes."""
    return max(1, min(wanted, MAX_COMPONENTS, FIT_BUDGET // (count * size * size),
                      count // (CODES_PER_DIMENSION * (size + 1))))  # fmt: skip


def _class_groups(labels: np.ndarray, size: int) -> list[np.ndarray]:
    """The codes' indices by class; classes too small for a component of their own go together."""
    classes, inverse = np.unique(labels, return_inverse=True)
    groups = [np.flatnonzero(inverse == index) for index in range(len(classes))]
    enough = CODES_PER_DIMENSION * (size + 1)
    rest = [group for group in groups if len(group) < enough]
    kept = [group for group in groups if len(group) >= enough]
    if rest and (sum(map(len, rest)) >= 2 or not kept):
        kept.append(np.sort(np.concatenate(rest)))
    return kept


def _fit_mixture(codes: np.ndarray, components: int, seed: int,
                 cancelled: Callable[[], bool]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """scikit-learn's EM with full covariances: (weights, means, covariances' Cholesky factors)."""
    # (imported here: they take a second, and only fitting needs them)
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture
    from threadpoolctl import threadpool_limits

    components = min(components, len(codes))
    # EM in steps of a few iterations (each step goes on from the last), so that a closing window need not wait
    mixture = GaussianMixture(components, covariance_type="full", reg_covar=1e-5, random_state=seed,
                              max_iter=FIT_STEP, tol=TOLERANCE, warm_start=True)  # fmt: skip
    with threadpool_limits(1), warnings.catch_warnings():  # one core: as fast as two here, and half the load
        warnings.simplefilter("ignore", ConvergenceWarning)  # (each step but the last ends unconverged)
        for _ in range(0, MAX_ITERATIONS, FIT_STEP):
            if cancelled():
                raise Cancelled("fitting cancelled")
            mixture.fit(codes)
            if mixture.converged_:
                break
    return mixture.weights_, mixture.means_, np.linalg.cholesky(mixture.covariances_)


def density_from_state(state: dict[str, torch.Tensor], source: str, code_size: int) -> CodeDensity:
    """A density read from a file, checked: a ValueError says what is wrong."""
    if source not in SOURCES:
        raise ValueError(f"its code density's kind {source!r} is unknown")
    weights, means, scale_tril = (state.get(key) for key in ("weights", "means", "scale_tril"))
    components = weights.shape[0] if isinstance(weights, torch.Tensor) and weights.dim() == 1 else 0
    if not 1 <= components <= MAX_COMPONENTS:
        raise ValueError("its code density's weights are not a list of 1 to 100 numbers")
    if tuple(means.shape) != (components, code_size) or tuple(scale_tril.shape) != (components, code_size, code_size):
        raise ValueError(f"its code density does not fit its {code_size}-value code")
    if not (bool((weights > 0).all()) and abs(float(weights.sum()) - 1.0) < 1e-3):
        raise ValueError("its code density's weights are not positive shares of one")
    diagonal = scale_tril.diagonal(dim1=1, dim2=2)
    if not bool((diagonal > 0).all()) or bool(scale_tril.triu(1).any()):
        raise ValueError("its code density's covariances are not valid (not lower Cholesky factors)")
    if float(means.abs().max()) > MAX_CODE_MAGNITUDE or float(scale_tril.abs().max()) > MAX_CODE_MAGNITUDE:
        raise ValueError(f"its code density's means or spreads reach beyond {MAX_CODE_MAGNITUDE:g}, far past any "
                         "code a model makes (the digits drawn from it would be nonsense)")  # fmt: skip
    if float(diagonal.min()) < MIN_SPREAD:
        raise ValueError(f"its code density's spreads fall below {MIN_SPREAD:g}: it cannot be drawn from")
    return CodeDensity(weights / weights.sum(), means, scale_tril, source)
