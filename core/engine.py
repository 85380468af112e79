"""The compiled training engine: many training steps per call, through Keras' stateless API on the JAX backend.

The network, its optimizer, loss and metrics are the Keras 3 objects that `core.model.build_model` made; only the
loop differs from `model.fit`. The data is put on the device once, each epoch's order is a permutation drawn from the
run's seed, and a chunk of steps runs as one compiled `jax.lax.fori_loop` whose length is a run-time argument, so the
trainer can size chunks from the measured step time (about `CHUNK_SECONDS` each) without compiling again. Between
chunks the trainer emits progress and honours Stop; the validation pass is one compiled call as well.

A partial last batch is kept, as `model.fit` keeps it: every batch has the same shape, and the missing rows of the
last one carry weight 0 in the loss and the metrics, so one compiled step serves the whole epoch.

A dense kernel with more inputs than outputs (the first layer's 784 x units, above all) is kept transposed while the
engine trains, and handed to the layer as its transpose: its gradient is then one product (units x batch) @ (batch x
784) that runs along memory, where the kernel's own layout asks for (784 x batch) @ (batch x units) across it, which
XLA runs much slower on CPU (`bench/throughput.py`'s 2x10 epoch went from 0.049 to 0.034 s). The optimizer that steps
those values is a second instance of the model's optimizer (same class and configuration) built on variables of the
kept shapes: every optimizer hptune offers updates element by element, so its arithmetic is the same. `write_back`
puts the weights and the optimizer's state back in the model's layout.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from hptune.core.events import BatchProgress, EpochEnded, EpochMetrics, Status

log = logging.getLogger(__name__)

#: Wall time one compiled chunk should take: short enough for a moving progress bar and a prompt Stop.
CHUNK_SECONDS = 0.25
#: Every epoch runs in at least this many chunks, so the progress bar moves and Stop can land inside an epoch even
#: when a whole epoch would fit in one chunk (each boundary costs well under a millisecond).
MIN_CHUNKS_PER_EPOCH = 4
#: Steps in the first chunk of a run, before a step has been timed (the first call also compiles).
FIRST_CHUNK_STEPS = 4
#: Validation and test images per forward batch inside the compiled evaluation.
EVAL_BATCH = 1024


class _CompiledAside:
    """A jitted function compiled for its first arguments on a thread of its own, started at once: XLA compiles
    without holding the GIL, so the validation pass compiles on the second core while the training loop compiles and
    runs on the first (on a first launch, with nothing in the disk cache, about a tenth of a second sooner to the
    first epoch). A call waits for the compilation; if it failed, the function compiles as usual."""

    def __init__(self, function: Any, *example: Any) -> None:
        self._function = function
        self._compiled: Any = None
        self._thread = threading.Thread(target=self._compile, args=example, name="hptune-compile", daemon=True)
        self._thread.start()

    def _compile(self, *example: Any) -> None:
        try:
            self._compiled = self._function.lower(*example).compile()
        except Exception:  # noqa: BLE001 - only an early start: the first call compiles it the usual way
            log.debug("compiling ahead failed", exc_info=True)

    def __call__(self, *args: Any) -> Any:
        self._thread.join()
        if self._compiled is not None:
            try:
                return self._compiled(*args)
            except TypeError:  # arguments of another shape than the example: the jitted function serves them
                pass
        return self._function(*args)


def _transposed(value: Any) -> Any:
    """A 2-D array's transpose, made on the host: an eager transpose on the device would compile a program for every
    new shape (a tenth of a second or more on a first run)."""
    import jax

    return jax.device_put(np.ascontiguousarray(np.asarray(value).T))


def _in_layout(value: Any, shape: Any) -> Any:
    """`value` in `shape`: as it is, or transposed where a kernel's layout differs (a 2-D value whose shape is the
    other's reversed; a square kernel is never transposed, so equal shapes always mean the same layout)."""
    return value if tuple(value.shape) == tuple(shape) else _transposed(value)


@dataclass
class ChunkOutcome:
    """What one chunk of steps left behind: the epoch's running loss and accuracy so far, and where it got to."""

    step: int
    loss: float
    accuracy: float
    seconds: float


class CompiledEngine:
    """Trains a compiled Keras model on in-memory arrays, a chunk of steps per call; JAX backend only."""

    def __init__(self, keras: Any, model: Any, x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray,
                 y_val: np.ndarray, batch_size: int, seed: int, *, transposed: bool = True) -> None:
        """`transposed=False` keeps every kernel in the model's layout: slower, the same arithmetic (the tests
        compare the two)."""
        import jax
        import jax.numpy as jnp

        self._jax, self._jnp = jax, jnp
        self.keras = keras
        self.model = model
        self.batch_size = batch_size
        self.n_train = len(x_train)
        self.steps_per_epoch = math.ceil(self.n_train / batch_size)
        self._rng = np.random.default_rng(seed)
        # The data goes to the device once; batches are gathered there by index.
        self._x = jax.device_put(np.asarray(x_train, np.float32))
        self._y = jax.device_put(np.asarray(y_train, np.int32))
        self._val = self._padded_batches(x_val, y_val)

        optimizer = model.optimizer
        if not optimizer.built:
            optimizer.build(model.trainable_variables)
        # Which trainable values the engine keeps transposed (see the module's docstring).
        self._flipped = [transposed and len(v.shape) == 2 and v.shape[0] > v.shape[1]
                         for v in model.trainable_variables]
        self._network, from_logits = self._logits_view(keras, model)
        self._loss = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits, reduction=None)
        self._mean_loss = keras.metrics.Mean(name="loss")
        self._accuracy = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
        self.trainable = [_transposed(v.value) if flip else v.value
                          for v, flip in zip(model.trainable_variables, self._flipped, strict=True)]
        self.non_trainable = [v.value for v in model.non_trainable_variables]
        self._optimizer = self._stepping_optimizer(keras, optimizer) if any(self._flipped) else optimizer
        self.optimizer_state = [_in_layout(v.value, mine.shape)
                                for v, mine in zip(optimizer.variables, self._optimizer.variables, strict=True)]
        self._metrics: Any = None
        self._order: Any = None
        # Not donating the state: a kept best-weights snapshot may share its buffers.
        self._chunk = jax.jit(self._chunk_fn)
        self._evaluate = _CompiledAside(jax.jit(self._evaluate_fn), self.trainable, self.non_trainable, self._val)
        self._predict = jax.jit(self._predict_fn)
        self.steps_per_call = min(FIRST_CHUNK_STEPS, math.ceil(self.steps_per_epoch / MIN_CHUNKS_PER_EPOCH))
        self._timed_once = False
        self._step = 0

    def _stepping_optimizer(self, keras: Any, optimizer: Any) -> Any:
        """The model's optimizer again (class and configuration), built on variables of the engine's shapes: it steps
        the transposed kernels. Its variables pair up with the model optimizer's by position (both built by the same
        code on as many variables, in the same order); a pair differs only where a kernel is transposed."""
        twin = type(optimizer).from_config(optimizer.get_config())
        # Made from the engine's own arrays, so no conversion program is compiled for the new shapes.
        twin.build([keras.Variable(value, name=f"engine_{i}") for i, value in enumerate(self.trainable)])
        pairs = list(zip(optimizer.variables, twin.variables, strict=True))
        if any(tuple(a.shape) not in (tuple(b.shape), tuple(reversed(b.shape))) for a, b in pairs):
            raise ValueError(f"{type(optimizer).__name__}'s variables do not pair up with the model's weights")
        return twin

    def _model_layout(self, trainable: list[Any]) -> list[Any]:
        """The trainable values as the model's variables hold them (the kept transposes turned back)."""
        return [v.T if flip else v for v, flip in zip(trainable, self._flipped, strict=True)]  # traced: no copy

    @staticmethod
    def _logits_view(keras: Any, model: Any) -> tuple[Any, bool]:
        """The network without its closing softmax, sharing its layers and variables, so the loss is taken on the
        logits: as TensorFlow's Keras does for a softmax output, it is not clipped, and a blown-up network shows as
        a huge loss (diverged) instead of the clipped -log(1e-7) plateau of probabilities."""
        last = model.layers[-1]
        if not (isinstance(last, keras.layers.Activation) and getattr(last.activation, "__name__", "") == "softmax"):
            return model, False
        view = keras.Sequential([keras.Input(shape=model.input_shape[1:]), *model.layers[:-1]])
        same = [id(v) for v in view.trainable_variables] == [id(v) for v in model.trainable_variables] and [
            id(v) for v in view.non_trainable_variables] == [id(v) for v in model.non_trainable_variables]
        return (view, True) if same else (model, False)

    # --- compiled pieces ---------------------------------------------------------------------------------------

    def _padded_batches(self, x: np.ndarray, y: np.ndarray) -> tuple[Any, Any, Any]:
        """(batches, EVAL_BATCH, ...) arrays with a 0/1 weight per row, for a compiled pass over a whole set."""
        n = len(x)
        size = min(EVAL_BATCH, max(1, n))
        count = max(1, math.ceil(n / size))
        pad = count * size - n
        xs = np.concatenate([np.asarray(x, np.float32), np.zeros((pad, *x.shape[1:]), np.float32)])
        ys = np.concatenate([np.asarray(y, np.int32), np.zeros(pad, np.int32)])
        ws = np.concatenate([np.ones(n, np.float32), np.zeros(pad, np.float32)])
        shape = (count, size)
        return (self._jax.device_put(xs.reshape(*shape, *x.shape[1:])), self._jax.device_put(ys.reshape(shape)),
                self._jax.device_put(ws.reshape(shape)))

    def _metric_update(self, metrics: list[Any], loss: Any, y: Any, y_pred: Any, weight: Any) -> list[Any]:
        loss_vars, acc_vars = metrics
        loss_vars = self._mean_loss.stateless_update_state(loss_vars, loss, sample_weight=self._jnp.sum(weight))
        acc_vars = self._accuracy.stateless_update_state(acc_vars, y, y_pred, sample_weight=weight)
        return [loss_vars, acc_vars]

    def _fresh_metrics(self) -> list[Any]:
        return [self._mean_loss.stateless_reset_state(), self._accuracy.stateless_reset_state()]

    def _batch_loss(self, trainable: list[Any], non_trainable: list[Any], x: Any, y: Any, weight: Any,
                    training: bool) -> tuple[Any, tuple[Any, list[Any]]]:
        y_pred, non_trainable = self._network.stateless_call(self._model_layout(trainable), non_trainable, x,
                                                             training=training)
        per_image = self._loss(y, y_pred)
        loss = self._jnp.sum(per_image * weight) / self._jnp.maximum(self._jnp.sum(weight), 1.0)
        return loss, (y_pred, non_trainable)

    def _chunk_fn(self, state: tuple[Any, ...], images: Any, labels: Any, order: Any, start: Any,
                  count: Any) -> tuple[Any, ...]:
        """Steps start .. start+count-1 of the epoch whose image order is `order` (padded with -1)."""
        jax, jnp = self._jax, self._jnp
        grad_fn = jax.value_and_grad(self._batch_loss, has_aux=True)
        batch = self.batch_size

        def step(index: Any, carry: tuple[Any, ...]) -> tuple[Any, ...]:
            trainable, non_trainable, optimizer_state, metrics = carry
            picked = jax.lax.dynamic_slice(order, (index * batch,), (batch,))
            weight = (picked >= 0).astype("float32")
            picked = jnp.maximum(picked, 0)
            x, y = jnp.take(images, picked, axis=0), jnp.take(labels, picked, axis=0)
            (loss, (y_pred, non_trainable)), grads = grad_fn(trainable, non_trainable, x, y, weight, True)
            trainable, optimizer_state = self._optimizer.stateless_apply(optimizer_state, grads, trainable)
            metrics = self._metric_update(metrics, loss, y, y_pred, weight)
            return trainable, non_trainable, optimizer_state, metrics

        state = jax.lax.fori_loop(start, start + count, step, state)
        metrics = state[3]
        return state, self._mean_loss.stateless_result(metrics[0]), self._accuracy.stateless_result(metrics[1])

    def _evaluate_fn(self, trainable: list[Any], non_trainable: list[Any], data: tuple[Any, Any, Any]) -> list[Any]:
        def one(metrics: list[Any], batch: tuple[Any, Any, Any]) -> tuple[list[Any], None]:
            x, y, weight = batch
            loss, (y_pred, _) = self._batch_loss(trainable, non_trainable, x, y, weight, False)
            return self._metric_update(metrics, loss, y, y_pred, weight), None

        metrics, _ = self._jax.lax.scan(one, self._fresh_metrics(), data)
        return [self._mean_loss.stateless_result(metrics[0]), self._accuracy.stateless_result(metrics[1])]

    def _predict_fn(self, trainable: list[Any], non_trainable: list[Any], x: Any) -> Any:
        def one(_: None, batch: Any) -> tuple[None, Any]:
            y_pred, _ = self.model.stateless_call(self._model_layout(trainable), non_trainable, batch, training=False)
            return None, y_pred

        _, out = self._jax.lax.scan(one, None, x)
        return out

    # --- what the trainer calls --------------------------------------------------------------------------------

    def begin_epoch(self) -> None:
        """Draw this epoch's order from the run's seed and reset the running loss and accuracy."""
        padded = self.steps_per_epoch * self.batch_size
        order = np.full(padded, -1, np.int32)
        order[: self.n_train] = self._rng.permutation(self.n_train)
        self._order = self._jax.device_put(order)
        self._metrics = self._fresh_metrics()
        self._step = 0

    def run_chunk(self) -> ChunkOutcome:
        """Run the next chunk of this epoch's steps, then size the following chunk from the time it took."""
        count = min(self.steps_per_call, self.steps_per_epoch - self._step)
        started = time.perf_counter()
        state = (self.trainable, self.non_trainable, self.optimizer_state, self._metrics)
        state, loss, accuracy = self._chunk(state, self._x, self._y, self._order, self._step, count)
        self.trainable, self.non_trainable, self.optimizer_state, self._metrics = state
        loss, accuracy = (float(v) for v in self._jax.device_get((loss, accuracy)))  # waits for the chunk
        seconds = time.perf_counter() - started
        self._step += count
        self._resize(count, seconds)
        return ChunkOutcome(self._step, loss, accuracy, seconds)

    def _resize(self, count: int, seconds: float) -> None:
        if not self._timed_once:  # the first call compiled the loop; its time says nothing about a step
            self._timed_once = True
            return
        per_step = max(seconds / count, 1e-7)
        wanted = int(CHUNK_SECONDS / per_step)
        # Grow gradually (a busy machine's one slow or fast chunk should not swing the size), never past the epoch.
        most = math.ceil(self.steps_per_epoch / MIN_CHUNKS_PER_EPOCH)
        self.steps_per_call = max(1, min(wanted, 4 * self.steps_per_call, most))

    @property
    def epoch_done(self) -> bool:
        return self._step >= self.steps_per_epoch

    def validate(self) -> tuple[float, float]:
        """val_loss and val_accuracy of the current weights."""
        loss, accuracy = self._evaluate(self.trainable, self.non_trainable, self._val)
        return float(loss), float(accuracy)

    def snapshot(self) -> tuple[list[Any], list[Any]]:
        """The current weights (immutable device arrays: keeping them costs no copy)."""
        return list(self.trainable), list(self.non_trainable)

    def restore(self, weights: tuple[list[Any], list[Any]]) -> None:
        self.trainable, self.non_trainable = list(weights[0]), list(weights[1])

    def write_back(self) -> None:
        """Put the engine's weights and optimizer state into the Keras objects, so the model is the trained one."""
        for variable, value in zip(self.model.trainable_variables, self.trainable, strict=True):
            variable.assign(_in_layout(value, variable.shape))
        for variable, value in zip(self.model.non_trainable_variables, self.non_trainable, strict=True):
            variable.assign(value)
        for variable, value in zip(self.model.optimizer.variables, self.optimizer_state, strict=True):
            variable.assign(_in_layout(value, variable.shape))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities for `x`, in one compiled pass."""
        batches, _, _ = self._padded_batches(x, np.zeros(len(x), np.int32))
        out = np.asarray(self._predict(self.trainable, self.non_trainable, batches))
        return out.reshape(-1, out.shape[-1])[: len(x)]


def fit_compiled(engine: CompiledEngine, config: Any, emit: Any, stop: Any, history: list[EpochMetrics], *,
                 diverged_loss: float, progress_interval: float) -> tuple[Status, str | None]:
    """The epoch loop around the compiled chunks, with the events, Stop, divergence and early stopping that the
    model.fit path has: the same event types and fields, and EarlyStopping's rule (a strictly lower val_loss is
    better; after `patience` epochs without one, stop and restore the best weights)."""
    best_loss, best_weights, wait = math.inf, None, 0
    steps = engine.steps_per_epoch
    status: Status = "completed"
    message = None
    for epoch in range(1, config.epochs + 1):
        if stop.is_set():
            status, message = "stopped", "stopped by the user"
            break
        epoch_start = time.perf_counter()
        last_progress = 0.0
        engine.begin_epoch()
        halted = False
        while not engine.epoch_done:
            chunk = engine.run_chunk()
            if not math.isfinite(chunk.loss) or chunk.loss > diverged_loss:
                status, message = "diverged", f"the training loss reached {chunk.loss:.4g} in epoch {epoch}"
                halted = True
                break
            if stop.is_set():
                status, message = "stopped", "stopped by the user"
                halted = True
                break
            now = time.perf_counter()
            if now - last_progress >= progress_interval or chunk.step == steps:
                last_progress = now
                elapsed = max(now - epoch_start, 1e-9)
                emit(BatchProgress(epoch=epoch, step=chunk.step, steps=steps, loss=chunk.loss,
                                   samples_per_second=min(chunk.step * engine.batch_size, engine.n_train) / elapsed,
                                   eta_seconds=(steps - chunk.step) * elapsed / chunk.step))
        if halted:
            break
        val_loss, val_accuracy = engine.validate()
        metrics = EpochMetrics(epoch=epoch, loss=chunk.loss, accuracy=chunk.accuracy, val_loss=val_loss,
                               val_accuracy=val_accuracy, seconds=time.perf_counter() - epoch_start)
        history.append(metrics)
        emit(EpochEnded(metrics=metrics, epochs=config.epochs))
        if not all(math.isfinite(v) and v <= diverged_loss for v in (metrics.loss, metrics.val_loss)):
            status = "diverged"
            message = f"the loss reached {max(metrics.loss, metrics.val_loss):.4g} in epoch {metrics.epoch}"
            break
        if config.patience is not None:
            if best_weights is None:
                best_weights = engine.snapshot()
            wait += 1
            if val_loss < best_loss:
                best_loss, best_weights, wait = val_loss, engine.snapshot(), 0
            elif wait >= config.patience and epoch > 1:
                engine.restore(best_weights)
                status = "early-stopped"
                break
        if stop.is_set():
            status, message = "stopped", "stopped by the user"
            break
    if status == "stopped" and best_weights is not None:
        engine.restore(best_weights)
    engine.write_back()
    return status, message
