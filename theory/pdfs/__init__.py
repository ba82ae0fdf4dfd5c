"""Input-scale PDFs in Mellin space, as 13-component flavour vectors (``theory.qcd.evolution``)."""
