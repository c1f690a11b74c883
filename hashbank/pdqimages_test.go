package hashbank

import (
	"flag"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// The PDQ test images are drawn here, with the standard library only, and
// committed under testdata/pdq; the reference implementation's hashes of
// the same files are in testdata/pdq/reference.tsv. Redraw them with
//
//	go test -run TestGeneratePDQImages -generate-pdq-images ./hashbank
//
// (and re-run the reference hasher on them: see doc/image-hashing.md). The
// libjpeg-pixels-*.png files there are not drawn here: they hold libjpeg's
// decoding of the JPEGs.
var generatePDQImages = flag.Bool("generate-pdq-images", false, "redraw the PDQ test images in testdata/pdq")

const pdqImageDir = "testdata/pdq"

type testImage struct {
	name string // file name; the extension chooses the encoder
	img  func() image.Image
}

func rgbaImage(w, h int, f func(x, y int) color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, f(x, y))
		}
	}
	return img
}

func grayImage(w, h int, f func(x, y int) uint8) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetGray(x, y, color.Gray{f(x, y)})
		}
	}
	return img
}

func gradient(w, h int) image.Image {
	return rgbaImage(w, h, func(x, y int) color.RGBA {
		return color.RGBA{uint8(255 * x / max(w-1, 1)), uint8(255 * y / max(h-1, 1)), uint8(255 * (x + y) / max(w+h-2, 1)), 255}
	})
}

func radial(w, h int) image.Image {
	return grayImage(w, h, func(x, y int) uint8 {
		dx, dy := float64(x)-float64(w)/3, float64(y)-float64(h)/2
		return uint8(127.5 + 127.5*math.Cos(math.Hypot(dx, dy)/9))
	})
}

func checker(w, h, cell int) image.Image {
	return rgbaImage(w, h, func(x, y int) color.RGBA {
		if (x/cell+y/cell)%2 == 0 {
			return color.RGBA{230, 40, 40, 255}
		}
		return color.RGBA{20, 20, 90, 255}
	})
}

func circles(w, h int, seed uint64) image.Image {
	r := rand.New(rand.NewPCG(seed, 11))
	type circle struct {
		cx, cy, rad float64
		c           color.RGBA
	}
	var cs []circle
	for range 12 {
		cs = append(cs, circle{r.Float64() * float64(w), r.Float64() * float64(h), (0.05 + 0.25*r.Float64()) * float64(min(w, h)),
			color.RGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}})
	}
	return rgbaImage(w, h, func(x, y int) color.RGBA {
		c := color.RGBA{240, 235, 220, 255}
		for _, k := range cs {
			if math.Hypot(float64(x)-k.cx, float64(y)-k.cy) < k.rad {
				c = k.c
			}
		}
		return c
	})
}

func noise(w, h int, seed uint64, gray bool) image.Image {
	r := rand.New(rand.NewPCG(seed, 12))
	if gray {
		return grayImage(w, h, func(x, y int) uint8 { return uint8(r.IntN(256)) })
	}
	return rgbaImage(w, h, func(x, y int) color.RGBA {
		return color.RGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}
	})
}

// textLike draws rows of dark "glyphs" (random bars and blocks) on a light
// ground, like a label or a screenshot of text.
func textLike(w, h int, seed uint64) image.Image {
	r := rand.New(rand.NewPCG(seed, 13))
	img := rgbaImage(w, h, func(x, y int) color.RGBA { return color.RGBA{250, 250, 245, 255} })
	line := max(h/12, 6)
	for top := line / 2; top+line < h; top += line + line/2 {
		for x := line / 2; x+line/2 < w; {
			gw := line/3 + r.IntN(line/2+1)
			for range 3 {
				bx, by := x+r.IntN(max(gw, 1)), top+r.IntN(line)
				bw, bh := 1+r.IntN(max(gw/2, 1)), 1+r.IntN(line)
				for yy := by; yy < min(by+bh, top+line, h); yy++ {
					for xx := bx; xx < min(bx+bw, w); xx++ {
						img.SetRGBA(xx, yy, color.RGBA{20, 20, 30, 255})
					}
				}
			}
			x += gw + 1 + r.IntN(line/2+1)
			if r.IntN(7) == 0 {
				x += line // a space
			}
		}
	}
	return img
}

func flat(w, h int, v uint8) image.Image {
	return grayImage(w, h, func(x, y int) uint8 { return v })
}

func paletted(w, h int) image.Image {
	pal := color.Palette{color.RGBA{0, 0, 0, 255}, color.RGBA{255, 200, 0, 255}, color.RGBA{0, 120, 255, 255}, color.RGBA{255, 255, 255, 255}}
	img := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	for y := range h {
		for x := range w {
			img.SetColorIndex(x, y, uint8((x/10+y/7+(x*y)/300)%4))
		}
	}
	return img
}

// transform returns img rotated or mirrored: k is one of Rotate90 …
// FlipMinus1 (rotations counter-clockwise, as PDQ names them).
func transform(img image.Image, k int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	ow, oh := w, h
	if k == Rotate90 || k == Rotate270 || k == FlipPlus1 || k == FlipMinus1 {
		ow, oh = h, w
	}
	out := image.NewRGBA(image.Rect(0, 0, ow, oh))
	for y := range oh {
		for x := range ow {
			var sx, sy int
			switch k {
			case Original:
				sx, sy = x, y
			case Rotate90: // counter-clockwise: the right column becomes the top row
				sx, sy = w-1-y, x
			case Rotate180:
				sx, sy = w-1-x, h-1-y
			case Rotate270: // clockwise: the left column becomes the top row
				sx, sy = y, h-1-x
			case FlipX: // mirrored about the horizontal axis: top and bottom swap
				sx, sy = x, h-1-y
			case FlipY: // mirrored about the vertical axis: left and right swap
				sx, sy = w-1-x, y
			case FlipPlus1: // transpose
				sx, sy = y, x
			case FlipMinus1: // anti-transpose
				sx, sy = w-1-y, h-1-x
			}
			out.Set(x, y, img.At(b.Min.X+sx, b.Min.Y+sy))
		}
	}
	return out
}

// pdqTestImages are the images hashed by the reference. The dih- images
// are two originals in all eight orientations.
func pdqTestImages() []testImage {
	imgs := []testImage{
		{"gradient-256x256.png", func() image.Image { return gradient(256, 256) }},
		{"gradient-300x200.png", func() image.Image { return gradient(300, 200) }},
		{"gradient-300x200.jpg", func() image.Image { return gradient(300, 200) }},
		{"radial-gray-240x240.png", func() image.Image { return radial(240, 240) }},
		{"radial-gray-333x222.jpg", func() image.Image { return radial(333, 222) }},
		{"checker8-256x256.png", func() image.Image { return checker(256, 256, 8) }},
		{"checker3-97x61.png", func() image.Image { return checker(97, 61, 3) }},
		{"checker40-400x400.jpg", func() image.Image { return checker(400, 400, 40) }},
		{"circles-400x300.png", func() image.Image { return circles(400, 300, 1) }},
		{"circles-400x300.jpg", func() image.Image { return circles(400, 300, 1) }},
		{"circles-1024x768.jpg", func() image.Image { return circles(1024, 768, 2) }},
		{"circles-640x480.png", func() image.Image { return circles(640, 480, 3) }},
		{"noise-gray-128x128.png", func() image.Image { return noise(128, 128, 1, true) }},
		{"noise-rgb-200x150.png", func() image.Image { return noise(200, 150, 2, false) }},
		{"noise-rgb-700x500.jpg", func() image.Image { return noise(700, 500, 3, false) }},
		{"text-600x200.png", func() image.Image { return textLike(600, 200, 1) }},
		{"text-150x900.png", func() image.Image { return textLike(150, 900, 2) }},
		{"text-480x360.jpg", func() image.Image { return textLike(480, 360, 3) }},
		{"scene-800x600.jpg", func() image.Image { return scene(7, 800, 600) }},
		{"scene-257x385.png", func() image.Image { return scene(8, 257, 385) }},
		{"scene-512x512.png", func() image.Image { return scene(9, 512, 512) }},
		{"scene-513x200.png", func() image.Image { return scene(10, 513, 200) }},
		{"scene-129x129.png", func() image.Image { return scene(11, 129, 129) }},
		{"scene-65x63.png", func() image.Image { return scene(12, 65, 63) }},
		{"scene-64x64.png", func() image.Image { return scene(13, 64, 64) }},
		{"palette-210x140.png", func() image.Image { return paletted(210, 140) }},
		{"tiny-5x5.png", func() image.Image { return noise(5, 5, 4, false) }},
		{"tiny-8x6.png", func() image.Image { return gradient(8, 6) }},
		{"tiny-12x7-gray.png", func() image.Image { return noise(12, 7, 5, true) }},
		{"tiny-4x4.png", func() image.Image { return gradient(4, 4) }},
		{"flat-gray-100x100.png", func() image.Image { return flat(100, 100, 128) }},
	}
	for _, base := range []struct {
		name string
		img  func() image.Image
	}{
		{"circles-320x200", func() image.Image { return circles(320, 200, 4) }},
		{"scene-256x256", func() image.Image { return scene(14, 256, 256) }},
	} {
		for k := range 8 {
			imgs = append(imgs, testImage{"dih-" + base.name + "-" + DihedralNames[k] + ".png", func() image.Image { return transform(base.img(), k) }})
		}
	}
	return imgs
}

func TestGeneratePDQImages(t *testing.T) {
	if !*generatePDQImages {
		t.Skip("run with -generate-pdq-images to redraw testdata/pdq")
	}
	if err := os.MkdirAll(pdqImageDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, ti := range pdqTestImages() {
		var data []byte
		if filepath.Ext(ti.name) == ".jpg" {
			data = encodeJPEG(t, ti.img(), 85)
		} else {
			data = encodePNG(t, ti.img())
		}
		if err := os.WriteFile(filepath.Join(pdqImageDir, ti.name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
