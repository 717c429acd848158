"""The build: settings in, a published index out.

    run.run_build           plans (dry run) or builds and publishes the index the settings name, then
                            calibrates the answer rules for it; watch_and_build, the progress bars
    reading                 what a build reads: the content folder, or `sources` (folders and sites)
    milvus                  the same build into a Milvus collection
    delegation              `assistant build` handed to a running `assistant serve`, which holds the model

Imports the question path (assistant.answer) for the calibration; nothing imports this from there.
"""
