// ants-apply: resamples an image through a list of ITK transform files, as
// antsApplyTransforms does, so tests can check the transforms diffeo exports with ITK itself.
//
//   ants-apply DIM REFERENCE INPUT OUTPUT T1 [T2 ...]
//
// Each Ti is a transform file (an ITK MATLAB ".mat" affine, or a displacement-field NIfTI
// image) or "[file,1]" for the inverse of an affine file. As in antsApplyTransforms, the
// first transform listed is the first applied to a point of the reference grid: the list is
// pushed onto an itk::CompositeTransform last first, and the composite applies its queue from
// the back. The output is sampled on REFERENCE's grid with linear interpolation and 0 outside
// the input, and written as float32.
#include <iostream>
#include <string>
#include <vector>

#include "itkCompositeTransform.h"
#include "itkDisplacementFieldTransform.h"
#include "itkImage.h"
#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkLinearInterpolateImageFunction.h"
#include "itkMatrixOffsetTransformBase.h"
#include "itkResampleImageFilter.h"
#include "itkTransformFactory.h"
#include "itkTransformFileReader.h"
#include "itkVector.h"

namespace
{
bool
endsWith(const std::string & s, const std::string & tail)
{
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

template <unsigned int D>
typename itk::Transform<double, D, D>::Pointer
readOne(std::string spec)
{
  bool inverse = false;
  if (!spec.empty() && spec.front() == '[')
  {
    const auto comma = spec.find(',');
    inverse = spec.substr(comma + 1, 1) == "1";
    spec = spec.substr(1, comma - 1);
  }
  if (endsWith(spec, ".nii") || endsWith(spec, ".nii.gz"))
  {
    if (inverse)
    {
      throw std::runtime_error("a displacement field cannot be inverted here: " + spec);
    }
    using FieldType = itk::Image<itk::Vector<double, D>, D>;
    auto reader = itk::ImageFileReader<FieldType>::New();
    reader->SetFileName(spec);
    reader->Update();
    auto t = itk::DisplacementFieldTransform<double, D>::New();
    t->SetDisplacementField(reader->GetOutput());
    return t.GetPointer();
  }
  itk::TransformFactory<itk::MatrixOffsetTransformBase<double, D, D>>::RegisterTransform();
  auto reader = itk::TransformFileReaderTemplate<double>::New();
  reader->SetFileName(spec);
  reader->Update();
  auto base = reader->GetTransformList()->front();
  auto t = dynamic_cast<itk::MatrixOffsetTransformBase<double, D, D> *>(base.GetPointer());
  if (t == nullptr)
  {
    throw std::runtime_error("not a " + std::to_string(D) + "D affine transform: " + spec);
  }
  if (inverse)
  {
    auto inv = itk::MatrixOffsetTransformBase<double, D, D>::New();
    if (!t->GetInverse(inv))
    {
      throw std::runtime_error("affine not invertible: " + spec);
    }
    return inv.GetPointer();
  }
  return t;
}

template <unsigned int D>
int
run(int argc, char * argv[])
{
  using ImageType = itk::Image<float, D>;
  auto ref = itk::ImageFileReader<ImageType>::New();
  ref->SetFileName(argv[2]);
  ref->Update();
  auto input = itk::ImageFileReader<ImageType>::New();
  input->SetFileName(argv[3]);
  input->Update();

  auto composite = itk::CompositeTransform<double, D>::New();
  for (int i = argc - 1; i >= 5; --i)
  {
    composite->AddTransform(readOne<D>(argv[i]));
  }

  auto resample = itk::ResampleImageFilter<ImageType, ImageType, double>::New();
  resample->SetInput(input->GetOutput());
  resample->SetReferenceImage(ref->GetOutput());
  resample->UseReferenceImageOn();
  resample->SetTransform(composite);
  resample->SetInterpolator(itk::LinearInterpolateImageFunction<ImageType, double>::New());
  resample->SetDefaultPixelValue(0);

  auto writer = itk::ImageFileWriter<ImageType>::New();
  writer->SetFileName(argv[4]);
  writer->SetInput(resample->GetOutput());
  writer->Update();
  return 0;
}
} // namespace

int
main(int argc, char * argv[])
{
  if (argc < 6)
  {
    std::cerr << "usage: ants-apply DIM REFERENCE INPUT OUTPUT T1 [T2 ...]" << std::endl;
    return 2;
  }
  try
  {
    const std::string dim = argv[1];
    if (dim == "2")
      return run<2>(argc, argv);
    if (dim == "3")
      return run<3>(argc, argv);
    std::cerr << "DIM must be 2 or 3" << std::endl;
    return 2;
  }
  catch (const std::exception & e)
  {
    std::cerr << "ants-apply: " << e.what() << std::endl;
    return 1;
  }
}
