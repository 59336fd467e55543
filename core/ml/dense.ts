import * as tf from '@tensorflow/tfjs';

/** The function shape tf.customGrad takes (tfjs does not export its type). */
type CustomGradient = Parameters<typeof tf.customGrad>[0];

/**
 * A fully connected layer, `relu?(x·w + b)`, whose gradient uses explicit transposes and plain
 * matMuls: the wasm BatchMatMul kernel is several times slower with its transpose flags set (which
 * the stock gradient uses) than an XNNPACK matMul of a transposed copy. `inputGradient: false`
 * skips dx for a layer fed by data, which no variable depends on.
 */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, options: { relu: boolean; inputGradient: boolean }): tf.Tensor2D {
  const activation = options.relu ? 'relu' : 'linear';
  const backward = (dy: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D => (options.relu ? tf.mul(dy, tf.step(y)) : dy);
  if (!options.inputGradient) {
    const op = tf.customGrad(((weights: tf.Tensor, bias: tf.Tensor, save: tf.GradSaveFunc) => {
      const y = tf.fused.matMul({ a: x, b: weights as tf.Tensor2D, bias, activation }) as tf.Tensor2D;
      save([y]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => {
          const g = backward(dy as tf.Tensor2D, saved as tf.Tensor2D);
          return [tf.matMul(tf.transpose(x), g), tf.sum(g, 0)];
        },
      };
    }) as CustomGradient);
    return op(w, b) as tf.Tensor2D;
  }
  const op = tf.customGrad(((input: tf.Tensor, weights: tf.Tensor, bias: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = tf.fused.matMul({ a: input as tf.Tensor2D, b: weights as tf.Tensor2D, bias, activation }) as tf.Tensor2D;
    save([input, weights, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [savedInput, savedWeights, saved]: tf.Tensor[]) => {
        const g = backward(dy as tf.Tensor2D, saved as tf.Tensor2D);
        return [tf.matMul(g, tf.transpose(savedWeights)), tf.matMul(tf.transpose(savedInput), g), tf.sum(g, 0)];
      },
    };
  }) as CustomGradient);
  return op(x, w, b) as tf.Tensor2D;
}
