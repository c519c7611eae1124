"""Clinical read-outs of the dermal matrix: dermal thickness and a dermal density index.

High-frequency ultrasound studies of microneedling report the dermal thickness and an
echogenicity ("dermal density") of the dermis. Both are read from the collagen the model
already carries, vs the untreated twin, over the dermal bands (papillary + reticular):

* **thickness** — a fraction ``phi`` (``remodelling.dermal_matrix_volume_fraction``) of the
  new fibrillar collagen adds to the volume of the dermis; the rest fills interstitial
  (ground-substance) space.  With ``dC = (dC_I + dC_III) / (C_I0 + C_III0)`` the depth mean
  of the collagen change over the dermis, ``dh / h = phi * dC``.  ``phi = 1`` is the limit
  in which the collagen concentration stays constant as the dermis thickens or thins, as
  Shuster et al. (1975) found for the ageing dermis.
* **density index** — echogenicity rises with the concentration of fibrillar collagen;
  the thin, less organised fibrils of type III collagen scatter less than type I bundles,
  weighted by ``r3`` (``remodelling.collagen_III_echogenicity``).  The index is the
  echogenic collagen content per dermal thickness relative to the untreated twin:
  ``(1 + dE) / (1 + dh/h) - 1`` with ``dE = (dC_I + r3 dC_III) / (C_I0 + r3 C_III0)``.

The index is a relative concentration.  Ultrasound devices report echogenicity on their
own scales (mean echo amplitude, share of bright pixels), which are not calibrated to a
collagen concentration; compare directions and orders of magnitude, or fit ``phi`` and
``r3`` to a device's data with ``dermsim fit``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["CLINICAL_COURSES", "dermal_matrix_courses"]

#: Time-course variables added to a result, with units and long names.
CLINICAL_COURSES: dict[str, tuple[str, str]] = {
    "dermal_thickness_rel_change": (
        "1", "dermal thickness change vs the untreated twin (from the collagen change)"),
    "dermal_density_rel_change": (
        "1", "dermal density index change vs the untreated twin (echogenic collagen "
             "per thickness)"),
}


def dermal_matrix_courses(ds: xr.Dataset, dermis: np.ndarray, volume_fraction: float,
                          collagen_III_echogenicity: float) -> dict[str, xr.DataArray]:
    """Dermal thickness and density-index changes over time.

    Parameters
    ----------
    ds
        Remodelling result with ``collagen_I_rel_change`` and ``collagen_III_rel_change``
        (dims time, band; fractions of the baseline contents), ``band_thickness`` [um] and
        the attrs ``collagen_I_baseline``, ``collagen_III_baseline``.
    dermis
        Boolean mask of the dermal bands (papillary and reticular dermis).
    volume_fraction
        ``phi``: share of the new collagen that adds to the dermal volume (0..1).
    collagen_III_echogenicity
        ``r3``: echogenicity of collagen III relative to collagen I (0..1).

    Returns
    -------
    dict
        ``dermal_thickness_rel_change`` and ``dermal_density_rel_change`` (dims time,
        fractions; multiply by 100 for percent).
    """
    mask = np.asarray(dermis, dtype=bool)
    if mask.shape != (ds.sizes["band"],) or not mask.any():
        raise ValueError("dermis must mark at least one band, one entry per band")
    c1, c3 = float(ds.attrs["collagen_I_baseline"]), float(ds.attrs["collagen_III_baseline"])
    w = xr.DataArray(np.where(mask, ds["band_thickness"].values.astype(float), 0.0),
                     dims="band")
    w = w / w.sum()
    d1 = (ds["collagen_I_rel_change"] * w).sum("band") * c1   # content change, I
    d3 = (ds["collagen_III_rel_change"] * w).sum("band") * c3  # content change, III
    thickness = volume_fraction * (d1 + d3) / (c1 + c3)
    echogenic = (d1 + collagen_III_echogenicity * d3) / (c1 + collagen_III_echogenicity * c3)
    density = (1.0 + echogenic) / (1.0 + thickness) - 1.0
    out = {}
    for name, da in (("dermal_thickness_rel_change", thickness),
                     ("dermal_density_rel_change", density)):
        units, long_name = CLINICAL_COURSES[name]
        out[name] = da.assign_attrs(units=units, long_name=long_name)
    return out
