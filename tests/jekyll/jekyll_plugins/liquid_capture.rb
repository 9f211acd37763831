# frozen_string_literal: true

# A Jekyll plugin for the differential tests (tests/test_jekyll_differential.py): it writes
# each page's and document's text as Liquid left it, before the Markdown converter runs,
# into the folder named by LIQUID_CAPTURE_DIR, at the file's path from the site's source.
# Jekyll's Renderer hands that text to #convert, so the hook sits there.
module LiquidCapture
  def convert(content)
    folder = ENV["LIQUID_CAPTURE_DIR"]
    if folder && !document.is_a?(Jekyll::Excerpt)
      target = File.join(folder, document.relative_path)
      FileUtils.mkdir_p(File.dirname(target))
      File.write(target, content.to_s)
    end
    super
  end
end

Jekyll::Renderer.prepend(LiquidCapture)
