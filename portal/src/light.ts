// Page sections render into the light DOM: labels, aria-labelledby and ids then work across the
// whole page as in plain HTML, and one stylesheet (a file, as the CSP wants) styles them all.
import { LitElement } from 'lit';

export class LightElement extends LitElement {
  protected override createRenderRoot(): HTMLElement {
    return this;
  }
}
