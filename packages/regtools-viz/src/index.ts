/**
 * @diffeo/regtools-viz — DIPY's `dipy.viz.regtools` for diffeo: red/green overlays
 * of registered images, regular lattices, deformed-lattice views of a 2D
 * `DiffeomorphicMap`, Jacobian-determinant heat maps with a colour bar, all as plain
 * arrays plus RGBA figures, and PNG encoding.
 *
 * Runs in Node, browsers and Web Workers (no Node APIs here); writing PNG files
 * lives in the separate entry `@diffeo/regtools-viz/node`.
 */
export { overlayImages, normalizeToUint8 } from './overlay.js';
export type { OverlayOptions, OverlayResult } from './overlay.js';
export { drawLattice2d, plot2dDiffeomorphicMap, LATTICE_FILL, LATTICE_LINE } from './lattice.js';
export type { Lattice2D, Plot2dDiffeomorphicMapOptions, Plot2dDiffeomorphicMapResult } from './lattice.js';
export { jacobianFigure, jacobianColor } from './jacobian.js';
export type { JacobianFigureOptions, JacobianFigureResult } from './jacobian.js';
export { encodePng } from './png.js';
export { createRgbaImage, rgbToRgba, grayToRgba, composeFigure, defaultPanelScale } from './raster.js';
export type { RgbaImage, Rgb, FigureOptions, FigurePanel } from './raster.js';
export { drawText, measureText, GLYPH_WIDTH, GLYPH_HEIGHT, GLYPH_ADVANCE, LINE_HEIGHT } from './font.js';
export type { Image2DInput, ImageInput, VolumeSlice } from './input.js';
