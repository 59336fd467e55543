import * as tf from '@tensorflow/tfjs';

interface Conv2DAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * The wasm backend has no Conv2DBackpropFilter kernel, so the stock Conv2D gradient fails there.
 * This gradient computes dx with conv2dTranspose (Conv2DBackpropInput exists on wasm) and dw as a
 * convolution of the transposed input by the transposed output gradient: for stride 1,
 * dw[i,j,c,o] = Σ_{b,y,x} x[b,y+i,x+j,c]·dy[b,y,x,o], which is conv2d(x as [c,H,W,b], dy as [h,w,b,o]).
 * Configurations outside that (strides or dilations > 1, NCHW) fall back to the backend's own kernel.
 */
export function conv2dGradient(dy: tf.Tensor, saved: tf.Tensor[], attrs: Conv2DAttrs): { x: () => tf.Tensor; filter: () => tf.Tensor } {
  const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
  const dy4 = dy as tf.Tensor4D;
  const strides = pair(attrs.strides);
  const dilations = pair(attrs.dilations);
  const simple = strides[0] === 1 && strides[1] === 1 && dilations[0] === 1 && dilations[1] === 1 && attrs.dataFormat === 'NHWC';
  return {
    x: () => {
      if (!simple) return stockKernel('Conv2DBackpropInput', { dy: dy4, filter }, { ...attrs, inputShape: x.shape });
      return tf.conv2dTranspose(dy4, filter, x.shape, 1, attrs.pad as 'valid' | 'same' | number, attrs.dimRoundingMode);
    },
    filter: () => {
      if (!simple) return stockKernel('Conv2DBackpropFilter', { x, dy: dy4 }, { ...attrs, filterShape: filter.shape });
      const [kh, kw] = filter.shape;
      const padded = padForValid(x, kh, kw, dy4.shape[1], dy4.shape[2], attrs.pad);
      const inputAsBatchOfChannels = tf.transpose(padded, [3, 1, 2, 0]);
      const gradientAsFilter = tf.transpose(dy4, [1, 2, 0, 3]);
      const product = tf.conv2d(inputAsBatchOfChannels, gradientAsFilter, 1, 'valid');
      return tf.transpose(product, [1, 2, 0, 3]);
    },
  };
}

let registered = false;

/** Installs the gradient once per process (the gradient registry of tfjs is global). */
export function registerConv2dGradient(): void {
  if (registered) return;
  tf.registerGradient({
    kernelName: tf.Conv2D,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => conv2dGradient(dy as tf.Tensor, saved, attrs as unknown as Conv2DAttrs),
  });
  registered = true;
}

function pair(value: number | [number, number]): [number, number] {
  return typeof value === 'number' ? [value, value] : value;
}

/** Pads x so that a 'valid' correlation with a dy-sized filter yields exactly kh×kw outputs. */
function padForValid(x: tf.Tensor4D, kh: number, kw: number, outHeight: number, outWidth: number, pad: Conv2DAttrs['pad']): tf.Tensor4D {
  if (pad === 'valid') return x;
  let top: number;
  let left: number;
  if (Array.isArray(pad)) {
    top = pad[1][0];
    left = pad[2][0];
  } else if (typeof pad === 'number') {
    top = pad;
    left = pad;
  } else {
    top = Math.floor(Math.max(0, outHeight + kh - 1 - x.shape[1]) / 2);
    left = Math.floor(Math.max(0, outWidth + kw - 1 - x.shape[2]) / 2);
  }
  const bottom = outHeight + kh - 1 - x.shape[1] - top;
  const right = outWidth + kw - 1 - x.shape[2] - left;
  return tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]);
}

function stockKernel(kernelName: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor {
  return tf.engine().runKernel(kernelName, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}
