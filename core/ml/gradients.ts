import * as tf from '@tensorflow/tfjs';

interface Conv2DAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

interface Padding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/**
 * Gradients that replace tfjs's stock ones where the wasm backend lacks or botches a kernel. The
 * registry is global, so they serve every backend; they are exact, and tested against cpu's kernels.
 *
 * Conv2D gradient built only from forward convolutions, which the wasm backend runs through
 * XNNPACK: it has no Conv2DBackpropFilter kernel at all, and its Conv2DBackpropInput is a slow
 * reference loop. For stride 1 and no dilation:
 *   dx = full correlation of dy with the filter flipped in space and with in/out channels swapped;
 *   dw[i,j,c,o] = Σ_{b,y,x} x[b,y+i,x+j,c]·dy[b,y,x,o] = conv2d(x as [c,H,W,b], dy as [h,w,b,o]).
 * Other configurations (strides, dilations, NCHW, padding ≥ kernel) use the backend's own kernels.
 */
export function conv2dGradient(dy: tf.Tensor, saved: tf.Tensor[], attrs: Conv2DAttrs): { x: () => tf.Tensor; filter: () => tf.Tensor } {
  const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
  const dy4 = dy as tf.Tensor4D;
  const [kh, kw] = filter.shape;
  const padding = attrs.dataFormat === 'NHWC' ? forwardPadding(attrs.pad, x.shape, dy4.shape, kh, kw) : undefined;
  const strides = pair(attrs.strides);
  const dilations = pair(attrs.dilations);
  const simple =
    padding !== undefined &&
    strides[0] === 1 && strides[1] === 1 && dilations[0] === 1 && dilations[1] === 1 &&
    Math.min(padding.top, padding.bottom, padding.left, padding.right) >= 0 &&
    Math.max(padding.top, padding.bottom) < kh && Math.max(padding.left, padding.right) < kw;
  return {
    x: () => {
      if (!simple) return stockKernel('Conv2DBackpropInput', { dy: dy4, filter }, { ...attrs, inputShape: x.shape });
      const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
      const full: tf.backend_util.ExplicitPadding = [[0, 0], [kh - 1 - padding.top, kh - 1 - padding.bottom], [kw - 1 - padding.left, kw - 1 - padding.right], [0, 0]];
      return tf.conv2d(dy4, flipped, 1, full);
    },
    filter: () => {
      if (!simple) return stockKernel('Conv2DBackpropFilter', { x, dy: dy4 }, { ...attrs, filterShape: filter.shape });
      const padded = padding.top + padding.bottom + padding.left + padding.right === 0
        ? x
        : tf.pad(x, [[0, 0], [padding.top, padding.bottom], [padding.left, padding.right], [0, 0]]);
      const inputAsBatchOfChannels = tf.transpose(padded, [3, 1, 2, 0]) as tf.Tensor4D;
      const gradientAsFilter = tf.transpose(dy4, [1, 2, 0, 3]) as tf.Tensor4D;
      const product = tf.conv2d(inputAsBatchOfChannels, gradientAsFilter, 1, 'valid');
      return tf.transpose(product, [1, 2, 0, 3]);
    },
  };
}

interface MaxPoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * MaxPool gradient for 2×2 windows with stride 2 and no padding, from forward ops only. The wasm
 * MaxPoolGrad kernel mishandles windows whose values tie at or below zero (it sends their gradient
 * to the first element of the whole tensor); ReLU outputs and constant backgrounds make such ties
 * common, so training on wasm needs this. Tied maxima share the window's gradient equally (a valid
 * subgradient). Other pooling configurations use the backend's own kernel.
 */
export function maxPoolGradient(dy: tf.Tensor, saved: tf.Tensor[], attrs: MaxPoolAttrs): { x: () => tf.Tensor } {
  const [x, y] = saved as [tf.Tensor4D, tf.Tensor4D];
  const [filterHeight, filterWidth] = pair(attrs.filterSize);
  const [strideHeight, strideWidth] = pair(attrs.strides);
  const [, height, width] = x.shape;
  const simple =
    filterHeight === 2 && filterWidth === 2 && strideHeight === 2 && strideWidth === 2 &&
    (attrs.pad === 'valid' || attrs.pad === 0) && height % 2 === 0 && width % 2 === 0;
  return {
    x: () => {
      if (!simple) return stockKernel('MaxPoolGrad', { dy, input: x, output: y }, attrs);
      const size: [number, number] = [height, width];
      const isMax = tf.cast(tf.equal(x, tf.image.resizeNearestNeighbor(y, size)), 'float32') as tf.Tensor4D;
      const maxima = tf.image.resizeNearestNeighbor(tf.mul(tf.avgPool(isMax, 2, 2, 'valid'), 4) as tf.Tensor4D, size);
      return tf.mul(tf.div(isMax, maxima), tf.image.resizeNearestNeighbor(dy as tf.Tensor4D, size));
    },
  };
}

let registered = false;

/** Installs both gradients once per process (the gradient registry of tfjs is global). */
export function registerFastGradients(): void {
  if (registered) return;
  tf.registerGradient({
    kernelName: tf.Conv2D,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => conv2dGradient(dy as tf.Tensor, saved, attrs as unknown as Conv2DAttrs),
  });
  tf.registerGradient({
    kernelName: tf.MaxPool,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => maxPoolGradient(dy as tf.Tensor, saved, attrs as unknown as MaxPoolAttrs),
  });
  registered = true;
}

function pair(value: number | [number, number]): [number, number] {
  return typeof value === 'number' ? [value, value] : value;
}

/**
 * The zero padding the forward pass applied (stride 1). Top and left follow tfjs's rules; bottom and
 * right follow from the shapes, because tfjs sizes the output of a numeric pad by the filter height
 * alone, which for non-square filters pads the right edge more than the left.
 */
function forwardPadding(pad: Conv2DAttrs['pad'], inShape: number[], outShape: number[], kh: number, kw: number): Padding {
  const alongHeight = outShape[1] - 1 + kh - inShape[1];
  const alongWidth = outShape[2] - 1 + kw - inShape[2];
  let top: number;
  let left: number;
  if (pad === 'valid') [top, left] = [0, 0];
  else if (pad === 'same') [top, left] = [Math.floor(alongHeight / 2), Math.floor(alongWidth / 2)];
  else if (typeof pad === 'number') [top, left] = [pad, pad];
  else [top, left] = [pad[1][0], pad[2][0]];
  return { top, bottom: alongHeight - top, left, right: alongWidth - left };
}

function stockKernel(kernelName: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor {
  return tf.engine().runKernel(kernelName, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}
