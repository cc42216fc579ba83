"""Video analytics (issue 13): detect, track, anonymise, geo-locate.

Where a video frame is blurred: ``anonymise.py`` (``anonymise_image``), called per frame by
``pipeline.py`` (``AnalyticsPipeline.anonymised``) from the ``anonymised`` delivery variant.
"""
