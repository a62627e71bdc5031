/**
 * The result viewer: NiiVue (`@niivue/niivue`, WebGL2) on one canvas, showing the static
 * image in grey with one overlay on top (the warped moving image after a run, the
 * moving image before), with an adjustable opacity and colormap. NiiVue places every
 * volume in world space (mm) from its NIfTI affine, so the overlay of the warped image
 * (written on the static grid with the static affine) lines up voxel for voxel. 3D
 * images show three planes (multiplanar); 2D images (`nz = 1`) one axial slice.
 */
import { Niivue, SHOW_RENDER } from '@niivue/niivue';

/** A volume to show: NIfTI bytes (`.nii` or gzip `.nii.gz`) and a name ending in `.nii`/`.nii.gz`. */
export interface ViewerVolume {
  readonly nifti: Uint8Array;
  readonly name: string;
}

export class Viewer {
  private readonly nv: Niivue;
  private ready: Promise<unknown> | null = null;
  private urls: string[] = [];
  private queue: Promise<void> = Promise.resolve();
  private overlayOpacity = 0.5;
  private overlayColormap = 'warm';

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.nv = new Niivue({
      backColor: [0, 0, 0, 1],
      show3Dcrosshair: true,
      isColorbar: false,
      multiplanarShowRender: SHOW_RENDER.NEVER,
      dragAndDropEnabled: false,
      isResizeCanvas: true,
    });
  }

  private attach(): Promise<unknown> {
    this.ready ??= this.nv.attachToCanvas(this.canvas);
    return this.ready;
  }

  /**
   * Shows `background` (grey) and `overlay` (the current colormap and opacity). Calls
   * are queued: each starts when the previous one has finished loading, and the blob
   * URLs of a load are released only once the next load is done with its own.
   * @returns when both volumes are loaded and drawn.
   */
  show(background: ViewerVolume, overlay: ViewerVolume, is3d: boolean): Promise<void> {
    const run = this.queue.then(() => this.load(background, overlay, is3d));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async load(background: ViewerVolume, overlay: ViewerVolume, is3d: boolean): Promise<void> {
    await this.attach();
    const old = this.urls;
    this.urls = [background, overlay].map((v) => URL.createObjectURL(new Blob([v.nifti as Uint8Array<ArrayBuffer>])));
    try {
      await this.nv.loadVolumes([
        { url: this.urls[0], name: background.name, colormap: 'gray', opacity: 1 },
        { url: this.urls[1], name: overlay.name, colormap: this.overlayColormap, opacity: this.overlayOpacity },
      ]);
    } finally {
      for (const u of old) URL.revokeObjectURL(u);
    }
    this.nv.setSliceType(is3d ? this.nv.sliceTypeMultiplanar : this.nv.sliceTypeAxial);
    this.nv.drawScene();
  }

  /** Opacity of the overlay, 0..1. */
  setOverlayOpacity(opacity: number): void {
    this.overlayOpacity = opacity;
    if (this.nv.volumes.length > 1) this.nv.setOpacity(1, opacity);
  }

  /** Colormap of the overlay (a NiiVue colormap name such as `warm`, `red`, `green`, `gray`). */
  setOverlayColormap(name: string): void {
    this.overlayColormap = name;
    const v = this.nv.volumes[1];
    if (v) this.nv.setColormap(v.id, name);
  }
}
